/**
 * A seeded source of randomness. SWIM's choices (probe order, indirect helpers, gossip targets) take
 * one, so a test with a fixed seed replays the same cluster run every time.
 */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
}

/** mulberry32: small, fast, and good enough to shuffle members; not for anything secret. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export const systemRandom: Random = { next: () => Math.random() };

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Up to `k` distinct items that pass `accept`, chosen at random (memberlist's kRandomNodes). */
export function pickRandom<T>(items: readonly T[], k: number, random: Random, accept: (item: T) => boolean = () => true): T[] {
  const picked: T[] = [];
  const candidates = items.filter(accept);
  shuffle(candidates, random);
  for (const c of candidates) {
    if (picked.length >= k) break;
    picked.push(c);
  }
  return picked;
}

import { describe, expect, it } from 'vitest';
import { pickRandom, seededRandom, shuffle } from './random.js';

describe('seeded random', () => {
  it('replays the same sequence for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('shuffles into a permutation of the input', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    expect([...shuffle([...items], seededRandom(1))].sort()).toEqual(items);
  });

  it('picks k distinct accepted items', () => {
    const picked = pickRandom([1, 2, 3, 4, 5, 6], 3, seededRandom(7), (x) => x % 2 === 0);
    expect(picked).toHaveLength(3);
    expect(new Set(picked).size).toBe(3);
    for (const p of picked) expect(p % 2).toBe(0);
  });
});

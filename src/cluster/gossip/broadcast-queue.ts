import { encodedSize, type Message } from './messages.js';

/** A membership update waiting to be piggybacked. `about` names the member it concerns. */
export interface Broadcast {
  about: string;
  message: Message;
  /** Called once when the broadcast is done: sent its full number of times, or replaced by a newer one. */
  onFinished?: () => void;
}

interface Entry extends Broadcast {
  transmits: number;
  size: number;
  id: number;
}

/**
 * Updates to piggyback on outgoing packets (memberlist's TransmitLimitedQueue). Each is sent at most
 * `retransmitMult * ceil(log10(n + 1))` times, which is enough for epidemic spread to reach every
 * member with high probability; the least-sent go first, so fresh news overtakes old. A new update
 * about a member replaces whatever was queued about that member, since only the newest matters.
 */
export class BroadcastQueue {
  private entries: Entry[] = [];
  private nextId = 0;

  constructor(
    private readonly retransmitMult: number,
    private readonly clusterSize: () => number,
  ) {}

  enqueue(b: Broadcast): void {
    const kept: Entry[] = [];
    for (const e of this.entries) {
      if (e.about === b.about) e.onFinished?.();
      else kept.push(e);
    }
    kept.push({ ...b, transmits: 0, size: encodedSize(b.message), id: this.nextId++ });
    this.entries = kept;
  }

  retransmitLimit(): number {
    return this.retransmitMult * Math.max(1, Math.ceil(Math.log10(this.clusterSize() + 1)));
  }

  /**
   * Takes updates that fit in `limitBytes` (each costs its encoded size plus `overheadBytes`),
   * fewest-sent and newest first, counting one transmission for each.
   */
  take(overheadBytes: number, limitBytes: number): Message[] {
    if (this.entries.length === 0) return [];
    const limit = this.retransmitLimit();
    this.entries.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    const out: Message[] = [];
    let used = 0;
    const finished: Entry[] = [];
    for (const e of this.entries) {
      if (used + e.size + overheadBytes > limitBytes) continue;
      used += e.size + overheadBytes;
      out.push(e.message);
      e.transmits++;
      if (e.transmits >= limit) finished.push(e);
    }
    if (finished.length > 0) {
      const done = new Set(finished);
      this.entries = this.entries.filter((e) => !done.has(e));
      for (const e of finished) e.onFinished?.();
    }
    return out;
  }

  size(): number {
    return this.entries.length;
  }

  /** Drops everything queued, finishing each. */
  clear(): void {
    const all = this.entries;
    this.entries = [];
    for (const e of all) e.onFinished?.();
  }
}

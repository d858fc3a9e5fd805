import type { Clock, TimerHandle } from '../../types/clock.js';

/**
 * The minimum suspicion timeout: `mult * max(1, log10(n)) * probeInterval`. It grows with cluster
 * size because in a bigger cluster a suspicion takes more gossip rounds to reach the suspect, and the
 * suspect needs that long to hear about it and refute.
 */
export function suspicionTimeout(mult: number, clusterSize: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, clusterSize)));
  return Math.round(mult * nodeScale * probeIntervalMs);
}

/**
 * Time left once `confirmations` independent members agree (Lifeguard): starts at `max`, falls
 * logarithmically to `min` when `k` confirmations have arrived.
 */
export function remainingSuspicionTime(confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = k < 1 ? 1 : Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = Math.floor(maxMs - frac * (maxMs - minMs));
  return Math.max(minMs, raw) - elapsedMs;
}

export interface SuspicionOptions {
  /** The member whose suspicion started this timer; it does not count as a confirmation. */
  from: string;
  /** Confirmations that bring the timeout down to `minMs`; with k < 1 the timer is `minMs` outright. */
  k: number;
  minMs: number;
  maxMs: number;
  clock: Clock;
  /** Called once, when the suspect has not refuted in time; gets the number of confirmations. */
  onTimeout: (confirmations: number) => void;
}

/**
 * One suspicion of one member by this member: a timer that declares the suspect dead unless it is
 * cancelled (the suspect refuted, or someone else declared it dead first), and that runs out sooner
 * for each distinct member that independently suspects the same incarnation.
 */
export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private confirmations = 0;
  private readonly start: number;
  private timer: TimerHandle | undefined;
  private done = false;

  constructor(private readonly opts: SuspicionOptions) {
    this.confirmedBy.add(opts.from);
    this.start = opts.clock.now();
    this.arm(opts.k < 1 ? opts.minMs : opts.maxMs);
  }

  /**
   * Records that `from` suspects the same member. Returns true only for a new, useful confirmation
   * (one the caller should re-gossip); repeats and confirmations beyond `k` return false.
   */
  confirm(from: string): boolean {
    if (this.done || this.confirmations >= this.opts.k || this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    this.confirmations++;
    const elapsed = this.opts.clock.now() - this.start;
    this.arm(remainingSuspicionTime(this.confirmations, this.opts.k, elapsed, this.opts.minMs, this.opts.maxMs));
    return true;
  }

  /** Stops the timer; the timeout will not fire. Idempotent. */
  cancel(): void {
    this.done = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  confirmationCount(): number {
    return this.confirmations;
  }

  private arm(ms: number): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.opts.clock.setTimeout(() => {
      if (this.done) return;
      this.done = true;
      this.timer = undefined;
      this.opts.onTimeout(this.confirmations);
    }, Math.max(0, ms));
    this.timer.unref?.();
  }
}

import { systemClock, type Clock, type TimerHandle } from '../types/clock.js';

export interface WorkQueueOptions {
  /** How many keys are processed at once (never two for the same key). */
  concurrency?: number;
  clock?: Clock;
  /** First retry delay after a failure; doubles per consecutive failure of the key. */
  baseRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * A keyed work queue, as controller-runtime has it: adding a key that is already waiting does
 * nothing; adding a key that is being processed marks it dirty so it runs once more afterwards;
 * never two runs for one key at once. Handlers are level-based: they get only the key and read
 * the current state themselves.
 *
 * The handler returns `{ requeueAfterMs }` to be called again later, or throws to be retried with
 * per-key exponential backoff (reset on the next success).
 */
export class WorkQueue {
  /** Keys in the order they were added, urgent ones in their own lane; stale entries are skipped. */
  private readonly urgentLane: string[] = [];
  private readonly normalLane: string[] = [];
  /** Keys waiting, and whether they wait in the urgent lane. */
  private readonly queued = new Map<string, boolean>();
  private readonly running = new Set<string>();
  /** Keys added while they ran, and whether one of those adds was urgent. */
  private readonly dirty = new Map<string, boolean>();
  private readonly delayed = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly failures = new Map<string, number>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly baseRetryMs: number;
  private readonly maxRetryMs: number;
  /** Runs processed, for metrics. */
  processed = 0;
  errors = 0;

  constructor(
    private readonly handler: (key: string) => Promise<{ requeueAfterMs?: number } | void>,
    options: WorkQueueOptions = {},
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = options.concurrency ?? 4;
    this.baseRetryMs = options.baseRetryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
  }

  /**
   * Queues `key`. An urgent key goes before every key that is not (the reconcile of a new or changed
   * workload before the many that only refresh status), and an urgent add moves a key already
   * waiting into the urgent lane.
   */
  add(key: string, urgent = false): void {
    if (this.stopped) return;
    const pending = this.delayed.get(key);
    if (pending) {
      this.clock.clearTimeout(pending.timer);
      this.delayed.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.set(key, urgent || this.dirty.get(key) === true);
      return;
    }
    const waiting = this.queued.get(key);
    if (waiting === true || (waiting === false && !urgent)) return;
    this.queued.set(key, urgent);
    (urgent ? this.urgentLane : this.normalLane).push(key);
    this.pump();
  }

  /** Add `key` after `ms`; an earlier pending add wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  get length(): number {
    return this.queued.size;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Resolves when nothing is queued or running (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.queued.size === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    this.urgentLane.length = 0;
    this.normalLane.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency) {
      const key = this.next();
      if (key === undefined) break;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.queued.size === 0 && this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    let requeueAfter: number | undefined;
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      requeueAfter = result ? result.requeueAfterMs : undefined;
    } catch (err) {
      this.errors++;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      requeueAfter = Math.min(this.maxRetryMs, this.baseRetryMs * 2 ** (n - 1));
      this.onError(key, err);
    } finally {
      this.processed++;
      this.running.delete(key);
      this.active--;
    }
    const dirty = this.dirty.get(key);
    if (dirty !== undefined) {
      this.dirty.delete(key);
      this.add(key, dirty);
    } else if (requeueAfter !== undefined) this.addAfter(key, requeueAfter);
    this.pump();
  }

  /** The next key to run: urgent ones first, each lane in order. */
  private next(): string | undefined {
    while (this.urgentLane.length > 0) {
      const key = this.urgentLane.shift()!;
      if (this.queued.get(key) === true) return key;
    }
    while (this.normalLane.length > 0) {
      const key = this.normalLane.shift()!;
      if (this.queued.get(key) === false) return key;
    }
    return undefined;
  }
}

import { backoffDelay, CRASH_LOOP_BACKOFF } from '../lib/backoff.js';
import type { Clock } from '../types/clock.js';

/**
 * How long a workload waits before replacing failed instances: the first failure is replaced at
 * once, then 10 s doubling to 5 min, forgiven after 10 min without a failure. Kept in memory: after
 * a control-plane restart a workload starts again from no backoff, which is what a person restarting
 * it would expect.
 */
export class ReplacementBackoff {
  private readonly state = new Map<string, { failures: number; lastAt: number; counted: Set<string> }>();

  constructor(private readonly clock: Clock) {}

  recordFailure(workloadId: string, instanceId: string): void {
    const now = this.clock.now();
    let s = this.state.get(workloadId);
    if (!s || now - s.lastAt > CRASH_LOOP_BACKOFF.resetAfterMs) this.state.set(workloadId, (s = { failures: 0, lastAt: now, counted: new Set() }));
    if (s.counted.has(instanceId)) return;
    s.counted.add(instanceId);
    s.failures++;
    s.lastAt = now;
  }

  /** Milliseconds until a replacement may be created (0: now). */
  waitMs(workloadId: string): number {
    const s = this.state.get(workloadId);
    if (!s) return 0;
    const due = s.lastAt + backoffDelay(CRASH_LOOP_BACKOFF, s.failures);
    return Math.max(0, due - this.clock.now());
  }

  forget(workloadId: string): void {
    this.state.delete(workloadId);
  }
}

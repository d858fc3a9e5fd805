import type { Clock } from '../types/clock.js';

/**
 * Whether a rollout is still moving. Progress is any change in how many instances run the new
 * revision or are available; a rollout with none for `progressDeadlineSeconds` has stalled, and
 * stays stalled until its template changes again (an apply or an undo). Kept in memory: a
 * control plane that restarts gives a stalled rollout a fresh deadline, which errs on the side of
 * trying again.
 */
export class ProgressTracker {
  private readonly state = new Map<string, { revision: number; key: string; at: number; stalled: boolean }>();

  constructor(private readonly clock: Clock) {}

  /** Records the rollout's position; returns whether it has stalled, and ms until it would. */
  observe(workloadId: string, revision: number, position: string, deadlineSeconds: number): { stalled: boolean; remainingMs: number } {
    const now = this.clock.now();
    let s = this.state.get(workloadId);
    if (!s || s.revision !== revision) this.state.set(workloadId, (s = { revision, key: position, at: now, stalled: false }));
    if (!s.stalled && s.key !== position) {
      s.key = position;
      s.at = now;
    }
    const remainingMs = s.at + deadlineSeconds * 1000 - now;
    if (remainingMs <= 0) s.stalled = true;
    return { stalled: s.stalled, remainingMs: Math.max(0, remainingMs) };
  }

  isStalled(workloadId: string, revision: number): boolean {
    const s = this.state.get(workloadId);
    return Boolean(s && s.revision === revision && s.stalled);
  }

  /** The rollout finished (or there is none): forget it. */
  done(workloadId: string): void {
    this.state.delete(workloadId);
  }
}

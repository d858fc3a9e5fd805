import { backoffDelay, CRASH_LOOP_BACKOFF } from '../lib/backoff.js';
import type { ContainerStatus } from '../types/instance.js';

type ContainerTermination = NonNullable<ContainerStatus['lastTermination']>;

interface Entry {
  restarts: number;
  /** How the run before the current one ended. */
  lastTermination?: ContainerTermination;
  /** Consecutive failures since the container last ran long enough to be forgiven. */
  failures: number;
  nextRetryAt?: number;
}

/**
 * Restart counts and crash-loop backoff per container, as the kubelet keeps them: the first restart
 * is immediate, then 10 s doubling to 5 min; a container that ran 10 min is forgiven. Seeded from
 * the last reported status so a restarted agent keeps counting where the last one stopped.
 */
export class RestartTracker {
  private readonly entries = new Map<string, Entry>();

  seed(containerId: string, restarts: number, lastTermination?: ContainerTermination): void {
    if (!this.entries.has(containerId)) this.entries.set(containerId, { restarts, failures: 0, lastTermination });
  }

  lastTermination(containerId: string): ContainerTermination | undefined {
    return this.entries.get(containerId)?.lastTermination;
  }

  restarts(containerId: string): number {
    return this.entries.get(containerId)?.restarts ?? 0;
  }

  /**
   * The container stopped after running `ranMs`; returns when it may start again (epoch ms) and
   * remembers it.
   */
  planRestart(containerId: string, ranMs: number, now: number): number {
    const e = this.entries.get(containerId) ?? { restarts: 0, failures: 0 };
    if (e.nextRetryAt !== undefined) return e.nextRetryAt;
    e.failures = ranMs >= CRASH_LOOP_BACKOFF.resetAfterMs ? 1 : e.failures + 1;
    e.nextRetryAt = now + backoffDelay(CRASH_LOOP_BACKOFF, e.failures);
    this.entries.set(containerId, e);
    return e.nextRetryAt;
  }

  restarted(containerId: string, termination?: ContainerTermination): void {
    const e = this.entries.get(containerId) ?? { restarts: 0, failures: 0 };
    e.restarts++;
    if (termination) e.lastTermination = termination;
    e.nextRetryAt = undefined;
    this.entries.set(containerId, e);
  }

  forget(containerId: string): void {
    this.entries.delete(containerId);
  }
}

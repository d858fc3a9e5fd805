/**
 * Exponential backoff as Kubernetes' crash loops have it: `initialMs` doubling per failure up to
 * `maxMs`, forgiven after the thing has run `resetAfterMs` without failing.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const CRASH_LOOP_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** Delay before retry number `failures` (1 = first retry). The first failure waits `firstDelayMs`. */
export function backoffDelay(policy: BackoffPolicy, failures: number, firstDelayMs = 0): number {
  if (failures <= 1) return firstDelayMs;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** (failures - 2));
}

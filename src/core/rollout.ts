import type { WorkloadInstance } from '../types/instance.js';
import type { UpdateStrategy } from '../types/workload.js';

/** `2` → 2, `"25%"` of 10 → 3 (surge rounds up) or 2 (unavailable rounds down), as Kubernetes does. */
export function resolveIntOrPercent(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.slice(0, -1)) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

export interface RolloutLimits {
  maxSurge: number;
  maxUnavailable: number;
}

export function rolloutLimits(strategy: UpdateStrategy, replicas: number): RolloutLimits {
  const maxSurge = resolveIntOrPercent(strategy.maxSurge, replicas, true);
  let maxUnavailable = resolveIntOrPercent(strategy.maxUnavailable, replicas, false);
  // Both zero would never make progress; Kubernetes then allows one unavailable.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export interface RolloutStep {
  /** New instances (current revision) to create now. */
  create: number;
  /** Old-revision instances to remove now, chosen by the caller from `removable`. */
  removeOld: WorkloadInstance[];
}

/**
 * One step of a rolling update, in the shape of Kubernetes' deployment controller: add new copies
 * while the total stays within replicas + maxSurge; remove old copies while the available ones stay
 * at or above replicas - maxUnavailable, taking the unavailable old copies first (removing them
 * costs no availability).
 */
export function rollingStep(
  replicas: number,
  limits: RolloutLimits,
  current: readonly WorkloadInstance[],
  old: readonly WorkloadInstance[],
  isAvailable: (i: WorkloadInstance) => boolean,
): RolloutStep {
  const total = current.length + old.length;
  const create = Math.max(0, Math.min(replicas + limits.maxSurge - total, replicas - current.length));

  const minAvailable = replicas - limits.maxUnavailable;
  const newUnavailable = current.filter((i) => !isAvailable(i)).length;
  let budget = total - minAvailable - newUnavailable;
  const removeOld: WorkloadInstance[] = [];
  if (budget > 0) {
    const unhealthy = old.filter((i) => !isAvailable(i));
    for (const i of unhealthy) {
      if (budget <= 0) break;
      removeOld.push(i);
      budget--;
    }
  }
  const availableNow = [...current, ...old].filter(isAvailable).length;
  let healthyBudget = Math.min(budget, availableNow - minAvailable);
  for (const i of old) {
    if (healthyBudget <= 0) break;
    if (!isAvailable(i) || removeOld.includes(i)) continue;
    removeOld.push(i);
    healthyBudget--;
  }
  return { create, removeOld };
}

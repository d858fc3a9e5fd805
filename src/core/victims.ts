import type { WorkloadInstance } from '../types/instance.js';

/**
 * Which instances go first when a workload has too many (the seed's scale-down TODO), in this order:
 * 1. not yet placed, then placed but not Running, then Running but not ready — removing those costs
 *    the least;
 * 2. on the most loaded node first (the fraction of its allocatable CPU or memory requested,
 *    whichever is higher), to free the nodes that need it most;
 * 3. newest first on ties, since older instances have proven themselves and warmed their caches.
 */
export function selectVictims(candidates: readonly WorkloadInstance[], count: number, nodeLoad: (nodeId: string) => number): WorkloadInstance[] {
  const stage = (i: WorkloadInstance) => (!i.nodeId ? 0 : i.status !== 'Running' ? 1 : !i.ready ? 2 : 3);
  return [...candidates]
    .sort((a, b) => stage(a) - stage(b) || nodeLoad(b.nodeId) - nodeLoad(a.nodeId) || b.createdAt.localeCompare(a.createdAt) || b.instanceId.localeCompare(a.instanceId))
    .slice(0, Math.max(0, count));
}

import { filterPlugin, scorePlugin } from '../plugin.js';
import { allocatableOf, insufficientResources } from '../resource-fit.js';
import type { Cycle } from '../cycle.js';
import type { NodeInfo } from '../scheduler.js';

/**
 * The seed's can_fit on every resource: what is bound to the node, plus what this call placed
 * there, plus the new instance, stays within allocatable cpu, memory, disk and extended resources.
 */
export const resourcesFitFilter = filterPlugin<true>({
  name: 'resources-fit',
  scope: 'node',
  monotonic: true,
  prepare: () => true,
  check: (info, _s, cycle) => {
    const short = insufficientResources(allocatableOf(info), info.requested, cycle.request.requests, cycle.overlay.get(info.node.id)?.requested);
    return short.length === 0 ? undefined : short.map((r) => `insufficient ${r}`).join('; ');
  },
});

/**
 * The share of a resource in use after placing the instance (1 when the node has none of it).
 * Scores look at cpu, memory and each extended resource the instance asks for.
 */
function usedShare(used: number, more: number, want: number, cap: number): number {
  return cap > 0 ? Math.min(1, (used + more + want) / cap) : 1;
}

/** Calls `each` with the used share of every scored resource; returns how many there were. */
function forEachShare(info: NodeInfo, cycle: Cycle, each: (share: number) => void): number {
  const alloc = allocatableOf(info);
  const req = cycle.request.requests;
  const extra = cycle.overlay.get(info.node.id)?.requested;
  each(usedShare(info.requested.cpuMillicores, extra?.cpuMillicores ?? 0, req.cpuMillicores, alloc.cpuMillicores));
  each(usedShare(info.requested.memoryMb, extra?.memoryMb ?? 0, req.memoryMb, alloc.memoryMb));
  let n = 2;
  for (const k in req.extended) {
    if (req.extended[k] <= 0) continue;
    each(usedShare(info.requested.extended[k] ?? 0, extra?.extended[k] ?? 0, req.extended[k], alloc.extended[k] ?? 0));
    n++;
  }
  return n;
}

/** Cluster policy: spread favours free nodes (LeastAllocated), binpack full ones (MostAllocated). */
export const resourceAllocationScore = scorePlugin<'spread' | 'binpack'>({
  name: 'resource-allocation',
  scope: 'node',
  normalize: 'none',
  prepare: (cycle) => cycle.policy.resourceStrategy,
  score: (info, strategy, cycle) => {
    let sum = 0;
    const n = forEachShare(info, cycle, (x) => (sum += strategy === 'binpack' ? x : 1 - x));
    return (sum / n) * 100;
  },
});

/** Nodes whose resources would be used evenly score higher (a node full on cpu but idle on memory wastes memory). */
export const balancedAllocationScore = scorePlugin<true>({
  name: 'balanced-allocation',
  scope: 'node',
  normalize: 'none',
  prepare: () => true,
  score: (info, _s, cycle) => {
    let sum = 0;
    let squares = 0;
    const n = forEachShare(info, cycle, (x) => {
      sum += x;
      squares += x * x;
    });
    const mean = sum / n;
    return (1 - Math.sqrt(Math.max(0, squares / n - mean * mean))) * 100;
  },
});

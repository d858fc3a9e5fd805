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
 * Fractions of cpu, memory and each requested extended resource that would be in use after
 * placing the instance. Resources neither requested nor advertised are left out.
 */
function usedFractions(info: NodeInfo, cycle: Cycle): number[] {
  const alloc = allocatableOf(info);
  const req = cycle.request.requests;
  const extra = cycle.overlay.get(info.node.id)?.requested;
  const frac = (used: number, more: number, want: number, cap: number) => (cap > 0 ? Math.min(1, (used + more + want) / cap) : 1);
  const out = [
    frac(info.requested.cpuMillicores, extra?.cpuMillicores ?? 0, req.cpuMillicores, alloc.cpuMillicores),
    frac(info.requested.memoryMb, extra?.memoryMb ?? 0, req.memoryMb, alloc.memoryMb),
  ];
  for (const k in req.extended) if (req.extended[k] > 0) out.push(frac(info.requested.extended[k] ?? 0, extra?.extended[k] ?? 0, req.extended[k], alloc.extended[k] ?? 0));
  return out;
}

/** Cluster policy: spread favours free nodes (LeastAllocated), binpack full ones (MostAllocated). */
export const resourceAllocationScore = scorePlugin<'spread' | 'binpack'>({
  name: 'resource-allocation',
  scope: 'node',
  normalize: 'none',
  prepare: (cycle) => cycle.policy.resourceStrategy,
  score: (info, strategy, cycle) => {
    const f = usedFractions(info, cycle);
    let sum = 0;
    for (const x of f) sum += strategy === 'binpack' ? x : 1 - x;
    return (sum / f.length) * 100;
  },
});

/** Nodes whose resources would be used evenly score higher (a node full on cpu but idle on memory wastes memory). */
export const balancedAllocationScore = scorePlugin<true>({
  name: 'balanced-allocation',
  scope: 'node',
  normalize: 'none',
  prepare: () => true,
  score: (info, _s, cycle) => {
    const f = usedFractions(info, cycle);
    let mean = 0;
    for (const x of f) mean += x;
    mean /= f.length;
    let variance = 0;
    for (const x of f) variance += (x - mean) ** 2;
    return (1 - Math.sqrt(variance / f.length)) * 100;
  },
});

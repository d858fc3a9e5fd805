import type { Cycle } from './cycle.js';
import type { PreparedPipeline } from './pipeline.js';
import { allocatableOf, insufficientResources } from './resource-fit.js';
import type { NodeInfo, PlacedInstance, PreemptionPlan } from './scheduler.js';
import { addInto, emptyVector } from '../types/resources.js';
import { compileSelector } from './selectors.js';

/** Filters that evicting instances can satisfy: room and ports. Every other filter must pass as is. */
const FIXABLE = new Set(['resources-fit', 'host-ports']);

/**
 * Priority preemption, planned and not performed (the core evicts, records events, and schedules
 * again once the victims are gone). For a new instance of priority P that fits nowhere, on every
 * node that passes all filters but room and ports, take the instances of lower priority as
 * candidates; evict none when not even all of them make room; otherwise keep back (reprieve) as
 * many as still leave room, most important first (higher priority, then older) — kube-scheduler's
 * greedy reprieve. Among the nodes, the plan with the fewest victims wins, then the one whose
 * highest victim priority is lowest, then the lowest sum of priorities, then the lower node id.
 * Instances this call has just placed are never victims, nor instances the new one's required
 * affinity needs; evicting can only relax anti-affinity and spread, so the other rules still hold.
 */
export function planPreemption(cycle: Cycle, pipeline: PreparedPipeline): PreemptionPlan | undefined {
  const priority = cycle.request.workload.priority;
  // Instances the new one needs next to it (required affinity) are never victims: the plan must still hold once they are gone.
  const protectedByAffinity = (cycle.request.workload.affinity?.instanceAffinity?.required ?? []).map((t) => compileSelector(t.labelSelector));
  let best: { plan: PreemptionPlan; key: number[] } | undefined;
  cycle.nodes.forEach((info, i) => {
    const released = cycle.overlay.get(info.node.id)?.released;
    const candidates = [...info.instances.values()].filter((p) => p.priority < priority && !released?.has(p.instanceId) && !protectedByAffinity.some((sel) => sel.matches(p.labels)));
    if (candidates.length === 0 || !passesUnfixable(info, i, cycle, pipeline)) return;
    if (!fitsWithout(info, cycle, candidates)) return;
    candidates.sort((a, b) => b.priority - a.priority || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    const victims: PlacedInstance[] = [];
    let evicted = candidates.slice();
    for (const c of candidates) {
      const without = evicted.filter((v) => v !== c);
      if (fitsWithout(info, cycle, without)) evicted = without;
      else victims.push(c);
    }
    const key = [victims.length, Math.max(...victims.map((v) => v.priority)), victims.reduce((a, v) => a + v.priority, 0)];
    if (!best || less(key, best.key)) best = { plan: { nodeId: info.node.id, victims: victims.map((v) => v.instanceId).sort() }, key };
  });
  return best?.plan;
}

function less(a: number[], b: number[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k] < b[k];
  return false;
}

function passesUnfixable(info: NodeInfo, i: number, cycle: Cycle, pipeline: PreparedPipeline): boolean {
  for (const { plugin, state } of pipeline.filters) {
    if (FIXABLE.has(plugin.name)) continue;
    if (plugin.check(info, state, cycle, i) !== undefined) return false;
  }
  return true;
}

/** Whether the new instance would fit, resources and ports, with `evicted` gone from the node. */
function fitsWithout(info: NodeInfo, cycle: Cycle, evicted: readonly PlacedInstance[]): boolean {
  const used = addInto(emptyVector(), info.requested);
  for (const v of evicted) addInto(used, v.requests, -1);
  const delta = cycle.overlay.get(info.node.id);
  if (insufficientResources(allocatableOf(info), used, cycle.request.requests, delta?.requested).length > 0) return false;
  const freed = new Set(evicted.map((v) => v.instanceId));
  for (const p of cycle.request.hostPorts) {
    const holder = info.hostPorts.get(p);
    if ((holder !== undefined && !freed.has(holder) && !delta?.released.has(holder)) || delta?.hostPorts.has(p)) return false;
  }
  return true;
}

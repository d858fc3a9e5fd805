import { capacityVector, type ResourceVector } from '../types/resources.js';
import type { NodeDelta } from './placement-overlay.js';
import type { NodeInfo } from './scheduler.js';

const allocatableCache = new WeakMap<object, ResourceVector>();

/** A node's allocatable resources as a vector, from the snapshot's cache when it keeps one. */
export function allocatableOf(info: NodeInfo): ResourceVector {
  if (info.allocatable) return info.allocatable;
  let v = allocatableCache.get(info.node);
  if (!v) allocatableCache.set(info.node, (v = capacityVector(info.node.allocatable)));
  return v;
}

/**
 * The seed's can_fit, on every resource: the names (`cpu`, `memory`, `disk`, or an extended
 * resource such as `gpu`) on which `used + request` would exceed `allocatable`; empty when it fits.
 * A resource a node does not advertise has an allocatable of 0. `extra` is what the same schedule
 * call has already placed on the node.
 */
export function insufficientResources(allocatable: ResourceVector, used: ResourceVector, request: ResourceVector, extra?: ResourceVector): string[] {
  const out: string[] = [];
  const x = extra;
  if (request.cpuMillicores > 0 && used.cpuMillicores + (x?.cpuMillicores ?? 0) + request.cpuMillicores > allocatable.cpuMillicores) out.push('cpu');
  if (request.memoryMb > 0 && used.memoryMb + (x?.memoryMb ?? 0) + request.memoryMb > allocatable.memoryMb) out.push('memory');
  if (request.diskMb > 0 && used.diskMb + (x?.diskMb ?? 0) + request.diskMb > allocatable.diskMb) out.push('disk');
  for (const name in request.extended) {
    const want = request.extended[name];
    if (want > 0 && (used.extended[name] ?? 0) + (x?.extended[name] ?? 0) + want > (allocatable.extended[name] ?? 0)) out.push(name);
  }
  return out;
}

/**
 * Host ports of `wanted` already held on the node: by bound instances (except those the call set
 * aside) or by this call's decisions.
 */
export function conflictingPorts(info: NodeInfo, wanted: readonly string[], delta?: NodeDelta): string[] {
  const out: string[] = [];
  for (const p of wanted) {
    const holder = info.hostPorts.get(p);
    if ((holder !== undefined && !delta?.released.has(holder)) || delta?.hostPorts.has(p)) out.push(p);
  }
  return out;
}

import { noPlacement, readinessReason } from './no-placement.js';
import { sortedNodes } from './node-order.js';
import { PlacementOverlay } from './placement-overlay.js';
import { indexByScan, setAsidePlacing } from './cycle.js';
import { allocatableOf, conflictingPorts, insufficientResources } from './resource-fit.js';
import type { ClusterSnapshot, NodeInfo, NodeRejection, ScheduleDecision, ScheduleRequest, Scheduler } from './scheduler.js';

/**
 * The seed's Phase 2 scheduler: a node qualifies when it is Ready, not cordoned, has every
 * requested host port free, and the requests of everything bound to it plus the new instance stay
 * within its allocatable cpu, memory, disk and extended resources (the seed's can_fit). Among the
 * qualifying nodes it takes the best fit — the least cpu and memory left over, as fractions — so
 * that large instances still find whole nodes; ties go to the lower node id.
 */
export class ResourceAwareScheduler implements Scheduler {
  readonly name = 'resource-aware';

  schedule(request: ScheduleRequest, snapshot: ClusterSnapshot): ScheduleDecision[] {
    const nodes = sortedNodes(snapshot);
    const overlay = new PlacementOverlay();
    if (request.placing?.length) setAsidePlacing(request, snapshot.instanceIndex?.() ?? indexByScan(nodes), overlay);
    const decisions: ScheduleDecision[] = [];
    for (let n = 0; n < request.count; n++) {
      let best: NodeInfo | undefined;
      let bestLeft = Infinity;
      const rejections: NodeRejection[] = [];
      for (const info of nodes) {
        const reason = this.reject(info, request, overlay);
        if (reason) {
          rejections.push({ nodeId: info.node.id, filter: reason.filter, reason: reason.reason });
          continue;
        }
        const left = leftOver(info, request, overlay);
        if (left < bestLeft) {
          best = info;
          bestLeft = left;
        }
      }
      if (!best) {
        // Nothing placed means nothing changes for the copies after this one either.
        const decision = noPlacement(snapshot.nodeCount, rejections);
        while (decisions.length < request.count) decisions.push(decision);
        break;
      }
      overlay.place(best.node.id, request.requests, request.hostPorts);
      decisions.push({ kind: 'AssignNode', nodeId: best.node.id });
    }
    return decisions;
  }

  private reject(info: NodeInfo, request: ScheduleRequest, overlay: PlacementOverlay): { filter: string; reason: string } | undefined {
    const notReady = readinessReason(info.node);
    if (notReady) return { filter: 'node-ready', reason: notReady };
    const delta = overlay.get(info.node.id);
    const short = insufficientResources(allocatableOf(info), info.requested, request.requests, delta?.requested);
    if (short.length > 0) return { filter: 'resources-fit', reason: short.map((r) => `insufficient ${r}`).join('; ') };
    const ports = conflictingPorts(info, request.hostPorts, delta);
    if (ports.length > 0) return { filter: 'host-ports', reason: 'host port conflict' };
    return undefined;
  }
}

/** Free cpu and memory fractions left after placing one more instance (lower is a tighter fit). */
function leftOver(info: NodeInfo, request: ScheduleRequest, overlay: PlacementOverlay): number {
  const alloc = allocatableOf(info);
  const extra = overlay.get(info.node.id)?.requested;
  const cpuLeft = alloc.cpuMillicores > 0 ? (alloc.cpuMillicores - info.requested.cpuMillicores - (extra?.cpuMillicores ?? 0) - request.requests.cpuMillicores) / alloc.cpuMillicores : 0;
  const memLeft = alloc.memoryMb > 0 ? (alloc.memoryMb - info.requested.memoryMb - (extra?.memoryMb ?? 0) - request.requests.memoryMb) / alloc.memoryMb : 0;
  return cpuLeft + memLeft;
}

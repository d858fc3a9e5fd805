import { noPlacement, readinessReason } from './no-placement.js';
import { sortedNodes } from './node-order.js';
import type { ClusterSnapshot, NodeInfo, NodeRejection, ScheduleDecision, ScheduleRequest, Scheduler } from './scheduler.js';

/**
 * The seed's SimpleScheduler: the workload's copies go to the Ready, uncordoned nodes in turn
 * (sorted by id), starting after the ones it already has, with no resource awareness. Kept as the
 * baseline and for clusters where every node is alike.
 */
export class RoundRobinScheduler implements Scheduler {
  readonly name = 'round-robin';

  schedule(request: ScheduleRequest, snapshot: ClusterSnapshot): ScheduleDecision[] {
    const ready: NodeInfo[] = [];
    const rejections: NodeRejection[] = [];
    for (const info of sortedNodes(snapshot)) {
      const reason = readinessReason(info.node);
      if (reason) rejections.push({ nodeId: info.node.id, filter: 'node-ready', reason });
      else ready.push(info);
    }
    if (ready.length === 0) {
      const decision = noPlacement(snapshot.nodeCount, rejections);
      return Array.from({ length: request.count }, () => decision);
    }
    const start = request.currentInstances.length;
    return Array.from({ length: request.count }, (_, i) => ({ kind: 'AssignNode', nodeId: ready[(start + i) % ready.length].node.id }));
  }
}

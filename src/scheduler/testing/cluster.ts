import { SchedulerState } from '../cluster-state.js';
import type { ScheduleDecision } from '../scheduler.js';
import { makeNode, type NodeSpec } from './fixtures.js';

/** A SchedulerState holding the given nodes. */
export function clusterOf(nodes: Record<string, NodeSpec>): SchedulerState {
  const s = new SchedulerState();
  for (const [id, spec] of Object.entries(nodes)) s.upsertNode(makeNode(id, spec));
  return s;
}

/** The node ids of the AssignNode decisions, in order. */
export function assigned(decisions: ScheduleDecision[]): string[] {
  return decisions.flatMap((d) => (d.kind === 'AssignNode' ? [d.nodeId] : []));
}

export function reasonOf(d: ScheduleDecision | undefined): string | undefined {
  return d?.kind === 'NoPlacement' ? d.reason : undefined;
}

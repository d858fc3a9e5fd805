import type { NodeRejection, ScheduleDecision } from './scheduler.js';

/**
 * Kubernetes-style summary of why nothing fits: `0/5 nodes available: 3 insufficient memory,
 * 1 node(s) had untolerated taint gpu=true:NoSchedule, 1 cordoned`. A rejection's reason may list
 * several causes separated by `; ` (a node short of both cpu and memory counts under each).
 * Causes are ordered by count, then by first appearance (which follows filter order per node).
 */
export function summarize(nodeCount: number, rejections: readonly NodeRejection[]): string {
  if (nodeCount === 0) return '0/0 nodes available: no nodes in the cluster';
  const counts = new Map<string, number>();
  for (const r of rejections) for (const cause of r.reason.split('; ')) counts.set(cause, (counts.get(cause) ?? 0) + 1);
  const parts = [...counts].map(([cause, n], i) => ({ cause, n, i })).sort((a, b) => b.n - a.n || a.i - b.i);
  return `0/${nodeCount} nodes available: ${parts.map((p) => `${p.n} ${p.cause}`).join(', ')}`;
}

export function noPlacement(nodeCount: number, rejections: NodeRejection[]): ScheduleDecision {
  return { kind: 'NoPlacement', reason: summarize(nodeCount, rejections), rejections };
}

/** The rejection of a node that is not Ready or is cordoned, in the words of the summaries. */
export function readinessReason(node: { status: string; unschedulable: boolean }): string | undefined {
  if (node.status !== 'Ready') return `not ready`;
  if (node.unschedulable) return 'cordoned';
  return undefined;
}

import { isLive, type WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { WorkloadDefinition } from '../types/workload.js';

export interface JobPlan {
  create: number;
  remove: WorkloadInstance[];
  removeReason?: string;
  requeueAfterMs?: number;
}

/**
 * A job runs instances to completion: at most `parallelism` at once until `completions` succeeded;
 * more than `backoffLimit` failures, or running past `activeDeadlineSeconds`, fails it and stops
 * what still runs. Finished instances stay, so their logs and exit codes can be read.
 */
export function planJob(w: WorkloadDefinition, instances: readonly WorkloadInstance[], nowMs: number): JobPlan {
  const spec = w.job ?? { completions: 1, parallelism: 1, backoffLimit: 6 };
  const succeeded = instances.filter((i) => i.status === 'Succeeded').length;
  const failed = instances.filter((i) => i.status === 'Failed').length;
  const active = instances.filter(isLive);
  if (succeeded >= spec.completions) return { create: 0, remove: active, removeReason: 'JobComplete' };
  if (failed > spec.backoffLimit) return { create: 0, remove: active, removeReason: 'BackoffLimitExceeded' };
  if (spec.activeDeadlineSeconds !== undefined) {
    const deadline = Date.parse(w.createdAt) + spec.activeDeadlineSeconds * 1000;
    if (nowMs >= deadline) return { create: 0, remove: active, removeReason: 'DeadlineExceeded' };
    const remaining = Math.min(spec.parallelism, spec.completions - succeeded) - active.length;
    return { create: Math.max(0, remaining), remove: [], requeueAfterMs: deadline - nowMs };
  }
  return { create: Math.max(0, Math.min(spec.parallelism, spec.completions - succeeded) - active.length), remove: [] };
}

export function jobFinished(w: WorkloadDefinition): 'Complete' | 'Failed' | undefined {
  for (const c of w.status.conditions) if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

export interface DaemonPlan {
  createOn: string[];
  remove: WorkloadInstance[];
}

/**
 * A daemon runs one instance on every Ready node that matches its nodeSelector and whose
 * NoSchedule/NoExecute taints it tolerates (Kubernetes' DaemonSet, Nomad's system job). Cordoned
 * nodes keep theirs, as DaemonSets do.
 */
export function planDaemon(w: WorkloadDefinition, live: readonly WorkloadInstance[], nodes: readonly Node[]): DaemonPlan {
  const eligible = new Set(nodes.filter((n) => n.status === 'Ready' && daemonMatches(w, n)).map((n) => n.id));
  const byNode = new Map<string, WorkloadInstance[]>();
  for (const i of live) {
    const list = byNode.get(i.nodeId) ?? [];
    list.push(i);
    byNode.set(i.nodeId, list);
  }
  const remove: WorkloadInstance[] = [];
  for (const [nodeId, list] of byNode) {
    const known = nodes.find((n) => n.id === nodeId);
    // Keep instances on nodes that are merely NotReady; remove where the node no longer matches.
    const keep = known && (eligible.has(nodeId) || (known.status !== 'Ready' && known.status !== 'Down' && daemonMatches(w, known)));
    const sorted = [...list].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    remove.push(...(keep ? sorted.slice(1) : sorted));
  }
  const createOn = [...eligible].filter((id) => !byNode.has(id)).sort();
  return { createOn, remove };
}

function daemonMatches(w: WorkloadDefinition, n: Node): boolean {
  for (const [k, v] of Object.entries(w.nodeSelector ?? {})) if (n.labels[k] !== v) return false;
  for (const t of n.taints) {
    if (t.effect === 'PreferNoSchedule') continue;
    const tolerated = (w.tolerations ?? []).some(
      (tol) => (tol.key === undefined || tol.key === t.key) && (tol.operator === 'Exists' || tol.value === t.value) && (tol.effect === undefined || tol.effect === t.effect),
    );
    if (!tolerated) return false;
  }
  return true;
}

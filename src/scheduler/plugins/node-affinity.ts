import type { Node } from '../../types/node.js';
import type { WorkloadDefinition } from '../../types/workload.js';
import { filterPlugin, scorePlugin } from '../plugin.js';
import { nodeSelectorMismatch, nodeTermMatches } from '../selectors.js';

/** `nodeSelector` and required node affinity: where the workload may run at all (also what spread counts as eligible). */
export function nodeFitsWorkload(node: Node, w: Pick<WorkloadDefinition, 'nodeSelector' | 'affinity'>): boolean {
  if (w.nodeSelector && nodeSelectorMismatch(w.nodeSelector, node) !== undefined) return false;
  const required = w.affinity?.nodeAffinity?.required;
  return !required || required.some((t) => nodeTermMatches(t, node));
}

/** Every `nodeSelector` key must be on the node with exactly that value. */
export const nodeSelectorFilter = filterPlugin<Record<string, string>>({
  name: 'node-selector',
  scope: 'static',
  monotonic: true,
  prepare: (cycle) => {
    const s = cycle.request.workload.nodeSelector;
    return s && Object.keys(s).length > 0 ? s : undefined;
  },
  check: (info, selector) => (nodeSelectorMismatch(selector, info.node) === undefined ? undefined : "node(s) didn't match node selector"),
});

/** Required node affinity: at least one term's expressions all hold on the node's labels. */
export const nodeAffinityFilter = filterPlugin<NonNullable<NonNullable<WorkloadDefinition['affinity']>['nodeAffinity']>['required']>({
  name: 'node-affinity',
  scope: 'static',
  monotonic: true,
  prepare: (cycle) => cycle.request.workload.affinity?.nodeAffinity?.required,
  check: (info, terms) => (terms!.some((t) => nodeTermMatches(t, info.node)) ? undefined : "node(s) didn't match node affinity"),
});

type Preferred = NonNullable<NonNullable<NonNullable<WorkloadDefinition['affinity']>['nodeAffinity']>['preferred']>;

/**
 * Preferred node affinity: the weights of the terms the node matches, as a share of all the
 * weights (100 when it matches every term). A fixed scale rather than Kubernetes' max over the
 * nodes looked at, so that a node's score does not depend on which others were sampled.
 */
export const nodeAffinityScore = scorePlugin<{ preferred: Preferred; totalWeight: number }>({
  name: 'node-affinity',
  scope: 'static',
  normalize: 'none',
  prepare: (cycle) => {
    const preferred = cycle.request.workload.affinity?.nodeAffinity?.preferred;
    if (!preferred || preferred.length === 0) return undefined;
    return { preferred, totalWeight: preferred.reduce((a, p) => a + p.weight, 0) };
  },
  score: (info, { preferred, totalWeight }) => {
    let sum = 0;
    for (const p of preferred) if (nodeTermMatches(p.term, info.node)) sum += p.weight;
    return (sum / totalWeight) * 100;
  },
});

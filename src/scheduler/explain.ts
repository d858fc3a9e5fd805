import { Cycle } from './cycle.js';
import { DefaultScheduler, type DefaultSchedulerOptions } from './default-scheduler.js';
import { summarize } from './no-placement.js';
import { sortedNodes } from './node-order.js';
import { normalizeInto, preparePipeline } from './pipeline.js';
import { DEFAULT_PROFILE, defaultRegistry } from './registry.js';
import type { ClusterSnapshot, ScheduleRequest } from './scheduler.js';

/** One node in an explanation: the filter that rejected it and why, or its scores. */
export interface NodeExplanation {
  nodeId: string;
  nodeName: string;
  feasible: boolean;
  /** The first filter, in profile order, that rejected the node. */
  filter?: string;
  reason?: string;
  /** Weighted total, comparable between the feasible nodes of this explanation. */
  score?: number;
  /** Each score plugin's 0..100 value before its weight. */
  scores?: Record<string, number>;
}

export interface PlacementExplanation {
  /** `3/5 nodes feasible; the scheduler would choose node-b` or the NoPlacement reason. */
  summary: string;
  /** Where the scheduler would place one more instance now, if anywhere. */
  chosen?: string;
  /** Feasible nodes by score (best first), then rejected nodes in id order. */
  nodes: NodeExplanation[];
  /** Score plugins and weights used, in profile order. */
  weights: Record<string, number>;
}

/**
 * `workload explain W`: every node through every filter (no sampling), each feasible node's
 * scores, and the node the scheduler itself would pick for one more instance. Pure, like
 * `schedule`. On large clusters the scheduler samples, so `chosen` may be a good node rather
 * than the top of this list; the list is what every node looks like.
 */
export function explainPlacement(request: ScheduleRequest, snapshot: ClusterSnapshot, options: DefaultSchedulerOptions = {}): PlacementExplanation {
  const nodes = sortedNodes(snapshot);
  const cycle = new Cycle(request, snapshot, nodes, { resourceStrategy: options.resourceStrategy ?? 'spread' });
  const pipeline = preparePipeline(cycle, options.registry ?? defaultRegistry(), options.profile ?? DEFAULT_PROFILE, options.weights);
  const rejected: NodeExplanation[] = [];
  const feasible: number[] = [];
  nodes.forEach((info, i) => {
    for (const { plugin, state } of pipeline.filters) {
      const reason = plugin.check(info, state, cycle, i);
      if (reason !== undefined) {
        rejected.push({ nodeId: info.node.id, nodeName: info.node.name, feasible: false, filter: plugin.name, reason });
        return;
      }
    }
    feasible.push(i);
  });
  const m = feasible.length;
  const total = new Float64Array(m);
  const raw = new Float64Array(m);
  const perPlugin: Record<string, Float64Array> = {};
  for (const { plugin, state, weight } of pipeline.scores) {
    for (let j = 0; j < m; j++) raw[j] = plugin.score(nodes[feasible[j]], state, cycle, feasible[j]);
    const out = new Float64Array(m);
    normalizeInto(raw, m, plugin.normalize, weight, total, out);
    perPlugin[plugin.name] = out;
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  const scored: NodeExplanation[] = feasible.map((i, j) => ({
    nodeId: nodes[i].node.id,
    nodeName: nodes[i].node.name,
    feasible: true,
    score: round(total[j]),
    scores: Object.fromEntries(Object.entries(perPlugin).map(([name, v]) => [name, round(v[j])])),
  }));
  scored.sort((a, b) => b.score! - a.score!);
  const [decision] = new DefaultScheduler(options).schedule({ ...request, count: 1 }, snapshot);
  const chosen = decision?.kind === 'AssignNode' ? decision.nodeId : undefined;
  const summary =
    m === 0
      ? summarize(nodes.length, rejected.map((r) => ({ nodeId: r.nodeId, filter: r.filter!, reason: r.reason! })))
      : `${m}/${nodes.length} nodes feasible${chosen ? `; the scheduler would choose ${snapshot.node(chosen)?.node.name ?? chosen}` : ''}`;
  return {
    summary,
    ...(chosen ? { chosen } : {}),
    nodes: [...scored, ...rejected],
    weights: Object.fromEntries(pipeline.scores.map((s) => [s.plugin.name, s.weight])),
  };
}

import type { TopologySpreadConstraint } from '../../types/placement.js';
import type { Cycle, DomainCounter } from '../cycle.js';
import { filterPlugin, scorePlugin } from '../plugin.js';
import { CompiledSelector, nodeLabel } from '../selectors.js';
import { nodeFitsWorkload } from './node-affinity.js';

/**
 * One spread constraint during a call. Eligible domains are the topology values of the nodes the
 * workload may run on at all (nodeSelector and required node affinity hold), as in Kubernetes;
 * the skew of placing on a node is `matching in its domain + 1 − the least matching in any
 * eligible domain`. The minimum is kept incrementally (counts only grow within a call).
 */
class SpreadConstraint {
  private min = 0;
  private atMin = 0;
  private seen = -1;

  constructor(
    readonly maxSkew: number,
    readonly topologyKey: string,
    readonly counter: DomainCounter,
    readonly selfMatch: boolean,
    private readonly domains: ReadonlySet<string>,
  ) {}

  minimum(cycle: Cycle): number {
    const placements = cycle.placements;
    if (placements === this.seen) return this.min;
    const last = cycle.lastPlaced;
    if (placements === this.seen + 1 && last && this.counter.countsIncoming) {
      const d = nodeLabel(last.node, this.topologyKey);
      if (d !== undefined && this.domains.has(d) && (this.counter.counts.get(d) ?? 0) - 1 === this.min && --this.atMin === 0) this.recompute();
    } else if (placements !== this.seen + 1 || this.seen === -1) {
      this.recompute();
    }
    this.seen = placements;
    return this.min;
  }

  private recompute(): void {
    let min = Infinity;
    let at = 0;
    for (const d of this.domains) {
      const c = this.counter.counts.get(d) ?? 0;
      if (c < min) {
        min = c;
        at = 1;
      } else if (c === min) at++;
    }
    this.min = min === Infinity ? 0 : min;
    this.atMin = at;
  }
}

function prepareConstraints(cycle: Cycle, which: (c: TopologySpreadConstraint) => boolean): SpreadConstraint[] | undefined {
  const w = cycle.request.workload;
  const list = (w.topologySpread ?? []).filter(which);
  if (list.length === 0) return undefined;
  return list.map((c) => {
    const selector = c.labelSelector ? new CompiledSelector(c.labelSelector) : undefined;
    const domains = new Set<string>();
    for (const info of cycle.nodes) {
      const d = nodeLabel(info.node, c.topologyKey);
      if (d !== undefined && nodeFitsWorkload(info.node, w)) domains.add(d);
    }
    const counter = cycle.counter(selector ?? 'own', c.topologyKey);
    return new SpreadConstraint(c.maxSkew, c.topologyKey, counter, selector ? selector.matches(cycle.labels) : true, domains);
  });
}

/** DoNotSchedule constraints: placing here must keep the skew within maxSkew; nodes without the key are out. */
export const topologySpreadFilter = filterPlugin<SpreadConstraint[]>({
  name: 'topology-spread',
  scope: 'cluster',
  monotonic: false,
  prepare: (cycle) => prepareConstraints(cycle, (c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule'),
  check: (info, constraints, cycle) => {
    for (const c of constraints) {
      if (nodeLabel(info.node, c.topologyKey) === undefined) return "node(s) didn't match topology spread constraints (missing required label)";
      if (c.counter.countOn(info.node) + (c.selfMatch ? 1 : 0) - c.minimum(cycle) > c.maxSkew) return "node(s) didn't match topology spread constraints";
    }
    return undefined;
  },
});

/** Every constraint, soft or hard: the fewer matching instances in the node's domain, the better. */
export const topologySpreadScore = scorePlugin<SpreadConstraint[]>({
  name: 'topology-spread',
  scope: 'cluster',
  normalize: 'reverse-min-max',
  prepare: (cycle) => prepareConstraints(cycle, () => true),
  score: (info, constraints) => {
    let sum = 0;
    for (const c of constraints) sum += nodeLabel(info.node, c.topologyKey) === undefined ? c.counter.total + 1 : c.counter.countOn(info.node);
    return sum;
  },
});

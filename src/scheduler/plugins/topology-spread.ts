import type { TopologySpreadConstraint } from '../../types/placement.js';
import type { Cycle, DomainCounter } from '../cycle.js';
import { filterPlugin, scorePlugin } from '../plugin.js';
import { compileSelector } from '../selectors.js';
import { singleDomains } from './instance-affinity.js';
import { nodeFitsWorkload } from './node-affinity.js';

/**
 * One spread constraint during a call. Eligible domains are the topology values of the nodes the
 * workload may run on at all (nodeSelector and required node affinity hold), as in Kubernetes;
 * the skew of placing on a node is `matching in its domain + 1 − the least matching in any
 * eligible domain`. The minimum is kept incrementally: counts only grow within a call, so it is
 * recomputed only when the last domain at the minimum grows.
 */
class SpreadConstraint {
  private min = 0;
  private atMin = 0;
  private seen = -1;

  constructor(
    readonly maxSkew: number,
    readonly counter: DomainCounter,
    readonly selfMatch: boolean,
    /** 1 for eligible domain ids. */
    private readonly eligible: Uint8Array,
  ) {}

  minimum(cycle: Cycle): number {
    const placements = cycle.placements;
    if (placements === this.seen) return this.min;
    if (this.seen >= 0 && placements === this.seen + 1) {
      const d = this.counter.domains.ofNode[cycle.lastPlaced];
      if (this.counter.countsIncoming && d >= 0 && this.eligible[d] && this.counter.counts[d] - 1 === this.min && --this.atMin === 0) this.recompute();
    } else {
      this.recompute();
    }
    this.seen = placements;
    return this.min;
  }

  private recompute(): void {
    let min = Infinity;
    let at = 0;
    const counts = this.counter.counts;
    for (let d = 0; d < counts.length; d++) {
      if (!this.eligible[d]) continue;
      const c = counts[d];
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
  return list.map((c) => cycle.memo(c, () => {
    const selector = c.labelSelector ? compileSelector(c.labelSelector) : undefined;
    const counter = cycle.counter(selector ?? 'own', c.topologyKey);
    const ofNode = counter.domains.ofNode;
    const eligible = new Uint8Array(counter.domains.names.length);
    for (let i = 0; i < cycle.nodes.length; i++) {
      const d = ofNode[i];
      if (d >= 0 && !eligible[d] && nodeFitsWorkload(cycle.nodes[i].node, w)) eligible[d] = 1;
    }
    return new SpreadConstraint(c.maxSkew, counter, selector ? selector.matches(cycle.labels) : true, eligible);
  }));
}

/** DoNotSchedule constraints: placing here must keep the skew within maxSkew; nodes without the key are out. */
export const topologySpreadFilter = filterPlugin<SpreadConstraint[]>({
  name: 'topology-spread',
  scope: 'cluster',
  monotonic: false,
  prepare: (cycle) => prepareConstraints(cycle, (c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule'),
  domainsFor: (constraints) => singleDomains(constraints),
  check: (_info, constraints, cycle, i) => {
    for (const c of constraints) {
      if (c.counter.domains.ofNode[i] < 0) return "node(s) didn't match topology spread constraints (missing required label)";
      if (c.counter.countAt(i) + (c.selfMatch ? 1 : 0) - c.minimum(cycle) > c.maxSkew) return "node(s) didn't match topology spread constraints";
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
  domainsFor: (constraints) => singleDomains(constraints),
  score: (_info, constraints, _cycle, i) => {
    let sum = 0;
    for (const c of constraints) sum += c.counter.domains.ofNode[i] < 0 ? c.counter.total + 1 : c.counter.countAt(i);
    return sum;
  },
});

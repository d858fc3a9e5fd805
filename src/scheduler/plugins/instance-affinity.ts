import type { InstanceAffinityTerm } from '../../types/placement.js';
import type { Cycle, DomainCounter, DomainMap } from '../cycle.js';
import { filterPlugin, scorePlugin, type Scope } from '../plugin.js';
import { compileSelector, nodeLabel } from '../selectors.js';

interface CountedTerm {
  topologyKey: string;
  counter: DomainCounter;
  /** The new instance matches the term's own selector (the first of a co-located group may go anywhere). */
  selfMatch: boolean;
}

function countTerms(cycle: Cycle, terms: readonly InstanceAffinityTerm[] | undefined): CountedTerm[] | undefined {
  if (!terms || terms.length === 0) return undefined;
  return terms.map((t) => {
    const selector = compileSelector(t.labelSelector);
    return { topologyKey: t.topologyKey, counter: cycle.counter(selector, t.topologyKey), selfMatch: selector.matches(cycle.labels) };
  });
}

/** Terms counted per node (topology key `node`) change only on the node a placement went to. */
function scopeOf(terms: readonly { counter: DomainCounter }[]): Scope {
  return terms.every((t) => t.counter.domains.perNode) ? 'node' : 'cluster';
}

/** The one topology key all terms count by, if there is one. */
export function singleDomains(terms: readonly { counter: DomainCounter }[]): DomainMap | undefined {
  const first = terms[0]?.counter.domains;
  return terms.every((t) => t.counter.domains === first) ? first : undefined;
}

/**
 * Required instance affinity: the node must have each term's topology key, and each term needs a
 * matching instance in the node's domain (the node's value of the key). As in Kubernetes, when no instance in the cluster matches a term
 * that the new instance itself matches, the term is waived, so a group can start.
 */
export const instanceAffinityFilter = filterPlugin<CountedTerm[]>({
  name: 'instance-affinity',
  scope: 'cluster',
  monotonic: false,
  prepare: (cycle) => countTerms(cycle, cycle.request.workload.affinity?.instanceAffinity?.required),
  // A waived term stops being waived once the call places the first copy: that changes every node.
  scopeFor: (terms) => (terms.some((t) => t.selfMatch && t.counter.total === 0) ? 'cluster' : scopeOf(terms)),
  domainsFor: (terms) => singleDomains(terms),
  check: (_info, terms, _cycle, i) => {
    for (const t of terms) {
      if (t.counter.domains.ofNode[i] < 0) return "node(s) didn't match instance affinity rules";
      if (t.counter.total === 0 && t.selfMatch) continue;
      if (t.counter.countAt(i) === 0) return "node(s) didn't match instance affinity rules";
    }
    return undefined;
  },
});

/** Required instance anti-affinity: no matching instance may be in the node's domain. */
export const instanceAntiAffinityFilter = filterPlugin<CountedTerm[]>({
  name: 'instance-anti-affinity',
  scope: 'cluster',
  monotonic: true,
  prepare: (cycle) => countTerms(cycle, cycle.request.workload.affinity?.instanceAntiAffinity?.required),
  scopeFor: (terms) => scopeOf(terms),
  domainsFor: (terms) => singleDomains(terms),
  check: (_info, terms, _cycle, i) => {
    for (const t of terms) if (t.counter.countAt(i) > 0) return "node(s) didn't match instance anti-affinity rules";
    return undefined;
  },
});

/**
 * The other direction: an instance already running with a required anti-affinity term that the
 * new instance matches keeps it out of that instance's domain (anti-affinity is symmetric). Only
 * other workloads' rules are read here; the workload's own are the filter above.
 */
export const existingAntiAffinityFilter = filterPlugin<Map<string, Set<string>>>({
  name: 'existing-anti-affinity',
  scope: 'static',
  monotonic: true,
  prepare: (cycle) => {
    const forbidden = new Map<string, Set<string>>();
    const own = cycle.request.workload.workloadId;
    for (const holder of cycle.index.antiAffinityHolders()) {
      if (holder.workloadId === own) continue;
      for (const term of holder.terms) {
        if (!compileSelector(term.labelSelector).matches(cycle.labels)) continue;
        let domains = forbidden.get(term.topologyKey);
        if (!domains) forbidden.set(term.topologyKey, (domains = new Set()));
        for (const b of cycle.index.ofWorkload(holder.workloadId)) {
          const d = nodeLabel(b.node.node, term.topologyKey);
          if (d !== undefined) domains.add(d);
        }
      }
    }
    return forbidden.size > 0 ? forbidden : undefined;
  },
  check: (info, forbidden) => {
    for (const [key, domains] of forbidden) {
      const d = nodeLabel(info.node, key);
      if (d !== undefined && domains.has(d)) return "node(s) didn't satisfy existing instances' anti-affinity rules";
    }
    return undefined;
  },
});

interface WeightedTerm {
  weight: number;
  counter: DomainCounter;
}

/** Preferred affinity adds, preferred anti-affinity subtracts, weight × matching instances in the node's domain. */
export const instanceAffinityScore = scorePlugin<WeightedTerm[]>({
  name: 'instance-affinity',
  scope: 'cluster',
  normalize: 'min-max',
  prepare: (cycle) => {
    const a = cycle.request.workload.affinity;
    const terms: WeightedTerm[] = [];
    for (const p of a?.instanceAffinity?.preferred ?? []) terms.push({ weight: p.weight, counter: cycle.counter(compileSelector(p.term.labelSelector), p.term.topologyKey) });
    for (const p of a?.instanceAntiAffinity?.preferred ?? []) terms.push({ weight: -p.weight, counter: cycle.counter(compileSelector(p.term.labelSelector), p.term.topologyKey) });
    return terms.length > 0 ? terms : undefined;
  },
  scopeFor: (terms) => scopeOf(terms),
  domainsFor: (terms) => singleDomains(terms),
  score: (_info, terms, _cycle, i) => {
    let sum = 0;
    for (const t of terms) sum += t.weight * t.counter.countAt(i);
    return sum;
  },
});

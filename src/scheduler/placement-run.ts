import type { Cycle, DomainMap } from './cycle.js';
import type { NodeHeap } from './node-heap.js';
import { normalizeInto, type PreparedFilter, type PreparedPipeline, type PreparedScore } from './pipeline.js';
import { RunBuffers } from './run-buffers.js';
import type { NodeRejection } from './scheduler.js';

const UNKNOWN = 0;
const PASS = 1;
const FAIL = 2;

const EMPTY_CACHE = { values: new Float64Array(0), at: new Int32Array(0) };

export interface Pick {
  index: number;
  score: number;
}

/**
 * The search of one schedule call over the nodes, Kubernetes-style with sampling: nodes are
 * walked from a start offset, and walking stops once `wanted` feasible nodes are found; only
 * those compete. Every filter still runs on every node considered, so required rules hold
 * exactly; only the choice among feasible nodes is approximate on large clusters.
 *
 * Between the decisions of one call the run keeps what cannot have changed: static verdicts once
 * per node, node-scoped verdicts and scores until the call places on that node. Two searches:
 * - grouped (the usual case): when every cluster-scoped plugin depends only on one topology
 *   key's domains (or there are none), nodes that pass the per-node filters wait in one heap per
 *   domain, by their per-node score; a decision judges each domain once through its best node
 *   and takes the best domain. O(domains + log n) per decision.
 * - scan (any other profile): a pool of nodes in walk order is re-checked and re-scored per
 *   decision; nodes that failed a monotonic filter (full, port taken) leave the pool for good.
 * Both pick the highest total score, ties to the node met first in the walk.
 */
export class PlacementRun {
  private readonly n: number;
  private readonly b: RunBuffers;
  private readonly fixedScorers: PreparedScore[];
  private readonly relativeScorers: PreparedScore[];
  private readonly relativeCache: { values: Float64Array; at: Int32Array }[];
  private scanned = 0;
  /** Grouped search: the domains, one heap per domain (+1 for nodes without the key), how many nodes wait. */
  private readonly groups: DomainMap | undefined;
  private readonly heaps: NodeHeap[] | undefined;
  private waiting = 0;
  /** Scan search. */
  private pool: number[] = [];
  private readonly feasible: number[] = [];

  constructor(
    private readonly cycle: Cycle,
    private readonly pipeline: PreparedPipeline,
    private readonly start: number,
    private readonly wanted: number,
    buffers: RunBuffers = new RunBuffers(),
    search: 'auto' | 'scan' = 'auto',
  ) {
    const n = (this.n = cycle.nodes.length);
    this.b = buffers.reset(n);
    this.fixedScorers = pipeline.scores.filter((s) => s.scope !== 'cluster' && s.plugin.normalize === 'none');
    this.relativeScorers = pipeline.scores.filter((s) => !this.fixedScorers.includes(s));
    // Only node- and static-scoped scores are cached; cluster-scoped ones are computed afresh.
    this.relativeCache = this.relativeScorers.map((s) => (s.scope === 'cluster' ? EMPTY_CACHE : { values: new Float64Array(n), at: new Int32Array(n).fill(-1) }));
    const clusterScoped = [...pipeline.clusterFilters, ...this.relativeScorers];
    const first = clusterScoped[0]?.domains;
    // Judging every domain per decision pays off while domains are few (zones, racks); spread over
    // thousands of nodes is cheaper to scan.
    const fewDomains = !first || first.names.length + 1 <= Math.max(16, wanted / 4);
    if (search === 'auto' && fewDomains && clusterScoped.every((p) => p.scope === 'cluster' && p.domains !== undefined && p.domains === first)) {
      this.groups = first;
      this.heaps = buffers.heapsFor(first ? first.names.length + 1 : 1);
    }
  }

  next(): Pick | undefined {
    return this.heaps ? this.nextGrouped(this.heaps) : this.nextByScan();
  }

  /** Records a decision on node `index` for the rest of the call. */
  place(index: number): void {
    this.b.nodeVersion[index]++;
    this.cycle.place(index);
    if (!this.heaps) return;
    if (this.nodePass(index)) this.heaps[this.groupOf(index)].push(this.fixedScoreOf(index), this.b.walkPos[index], index, this.b.nodeVersion[index]);
    else this.waiting--;
  }

  /** Every node's rejection, in node order; call right after `next` found nothing (every node was then walked). */
  rejections(): NodeRejection[] {
    const out: NodeRejection[] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.b.staticVerdict[i] === PASS && this.nodePass(i)) this.runFilters(i, this.pipeline.clusterFilters);
      const reason = this.b.reasons[i];
      if (reason !== undefined) out.push({ nodeId: this.cycle.nodes[i].node.id, filter: this.b.rejectedBy[i], reason });
    }
    return out;
  }

  private groupOf(i: number): number {
    return this.groups ? this.groups.ofNode[i] + 1 : 0;
  }

  private nextGrouped(heaps: NodeHeap[]): Pick | undefined {
    this.fill(heaps, this.wanted);
    for (;;) {
      const best = this.bestGroup(heaps);
      if (best) return best;
      if (this.scanned >= this.n) return undefined;
      // Every domain found so far is ruled out: look further for nodes in other domains.
      this.fill(heaps, this.waiting + this.wanted);
    }
  }

  /** Walks on until `target` nodes wait in the heaps or every node was walked. */
  private fill(heaps: NodeHeap[], target: number): void {
    while (this.waiting < target && this.scanned < this.n) {
      const pos = this.scanned++;
      const i = (this.start + pos) % this.n;
      if (!this.staticPass(i) || !this.nodePass(i)) continue;
      this.b.walkPos[i] = pos;
      heaps[this.groupOf(i)].push(this.fixedScoreOf(i), pos, i, this.b.nodeVersion[i]);
      this.waiting++;
    }
  }

  private bestGroup(heaps: NodeHeap[]): Pick | undefined {
    const { total, raw, nodeVersion, walkPos } = this.b;
    const candidates: number[] = [];
    for (let g = 0; g < heaps.length; g++) {
      const heap = heaps[g];
      while (heap.size > 0 && heap.topVersion() !== nodeVersion[heap.topNode()]) heap.pop();
      if (heap.size === 0) continue;
      const i = heap.topNode();
      if (!this.runFilters(i, this.pipeline.clusterFilters)) continue;
      total[candidates.length] = heap.topScore();
      candidates.push(i);
    }
    const m = candidates.length;
    if (m === 0) return undefined;
    for (const s of this.relativeScorers) {
      for (let j = 0; j < m; j++) raw[j] = s.plugin.score(this.cycle.nodes[candidates[j]], s.state, this.cycle, candidates[j]);
      normalizeInto(raw, m, s.plugin.normalize, s.weight, total);
    }
    let best = 0;
    for (let j = 1; j < m; j++) if (total[j] > total[best] || (total[j] === total[best] && walkPos[candidates[j]] < walkPos[candidates[best]])) best = j;
    return { index: candidates[best], score: Math.round(total[best] * 100) / 100 };
  }

  private nextByScan(): Pick | undefined {
    const feasible = this.feasible;
    feasible.length = 0;
    const pool = this.pool;
    // Pool nodes in walk order until enough are feasible; the rest wait, unchecked, for later decisions.
    let w = 0;
    let k = 0;
    for (; k < pool.length && feasible.length < this.wanted; k++) {
      const i = pool[k];
      const ok = this.nodePass(i) && this.runFilters(i, this.pipeline.clusterFilters);
      if (this.b.removed[i]) continue;
      pool[w++] = i;
      if (ok) feasible.push(i);
    }
    while (k < pool.length) pool[w++] = pool[k++];
    pool.length = w;
    while (feasible.length < this.wanted && this.scanned < this.n) {
      const i = (this.start + this.scanned++) % this.n;
      if (!this.staticPass(i)) continue;
      const ok = this.nodePass(i) && this.runFilters(i, this.pipeline.clusterFilters);
      if (this.b.removed[i]) continue;
      pool.push(i);
      if (ok) feasible.push(i);
    }
    return feasible.length === 0 ? undefined : this.bestOfScan();
  }

  private bestOfScan(): Pick {
    const feasible = this.feasible;
    const m = feasible.length;
    const { total, raw, nodeVersion } = this.b;
    const nodes = this.cycle.nodes;
    for (let j = 0; j < m; j++) total[j] = this.fixedScoreOf(feasible[j]);
    this.relativeScorers.forEach(({ plugin, state, weight, scope }, s) => {
      const cache = this.relativeCache[s];
      for (let j = 0; j < m; j++) {
        const i = feasible[j];
        if (scope === 'cluster') raw[j] = plugin.score(nodes[i], state, this.cycle, i);
        else {
          const version = scope === 'static' ? 0 : nodeVersion[i];
          if (cache.at[i] !== version) {
            cache.values[i] = plugin.score(nodes[i], state, this.cycle, i);
            cache.at[i] = version;
          }
          raw[j] = cache.values[i];
        }
      }
      normalizeInto(raw, m, plugin.normalize, weight, total);
    });
    let best = 0;
    for (let j = 1; j < m; j++) if (total[j] > total[best]) best = j;
    return { index: feasible[best], score: Math.round(total[best] * 100) / 100 };
  }

  private fixedScoreOf(i: number): number {
    const version = this.b.nodeVersion[i];
    if (this.b.fixedAt[i] !== version) {
      const fixed = this.fixedScorers;
      let sum = 0;
      for (let s = 0; s < fixed.length; s++) sum += fixed[s].weight * fixed[s].plugin.score(this.cycle.nodes[i], fixed[s].state, this.cycle, i);
      this.b.fixedScore[i] = sum;
      this.b.fixedAt[i] = version;
    }
    return this.b.fixedScore[i];
  }

  private staticPass(i: number): boolean {
    const v = this.b.staticVerdict[i];
    if (v !== UNKNOWN) return v === PASS;
    const ok = this.runFilters(i, this.pipeline.staticFilters);
    this.b.staticVerdict[i] = ok ? PASS : FAIL;
    return ok;
  }

  /** The node-scoped filters, re-run only after the call placed on the node. */
  private nodePass(i: number): boolean {
    const b = this.b;
    if (b.nodeCheckedAt[i] !== b.nodeVersion[i]) {
      b.nodeOk[i] = this.runFilters(i, this.pipeline.nodeFilters) ? PASS : FAIL;
      b.nodeCheckedAt[i] = b.nodeVersion[i];
    }
    return b.nodeOk[i] === PASS;
  }

  private runFilters(i: number, filters: PreparedFilter[]): boolean {
    const info = this.cycle.nodes[i];
    for (let f = 0; f < filters.length; f++) {
      const { plugin, state } = filters[f];
      const reason = plugin.check(info, state, this.cycle, i);
      if (reason !== undefined) {
        this.b.reasons[i] = reason;
        this.b.rejectedBy[i] = plugin.name;
        if (plugin.monotonic) this.b.removed[i] = 1;
        return false;
      }
    }
    this.b.reasons[i] = undefined;
    return true;
  }
}

import type { Cycle } from './cycle.js';
import { normalizeInto, type PreparedFilter, type PreparedPipeline } from './pipeline.js';
import type { NodeInfo, NodeRejection } from './scheduler.js';

const UNKNOWN = 0;
const PASS = 1;
const FAIL = 2;

/**
 * The search of one schedule call over the nodes, Kubernetes-style with sampling: nodes are
 * walked from a start offset, and walking stops once `wanted` feasible nodes are found; only
 * those are scored. Every filter still runs on every node considered, so required rules hold
 * exactly; only the choice among feasible nodes is approximate on large clusters.
 *
 * Between the decisions of one call the run keeps what cannot have changed: static verdicts
 * once per node, node-scoped verdicts and scores until the call places on that node, and a pool
 * of nodes that passed the static filters, from which nodes that failed a monotonic filter
 * (full, port taken, anti-affinity) are dropped for good.
 */
export class PlacementRun {
  private readonly n: number;
  private readonly staticVerdict: Int8Array;
  private readonly removed: Uint8Array;
  /** Placements on each node by this call; node-scoped caches are valid while it is unchanged. */
  private readonly nodeVersion: Int32Array;
  private readonly nodeCheckedAt: Int32Array;
  private readonly nodeOk: Int8Array;
  private readonly reasons: (string | undefined)[];
  private readonly rejectedBy: string[];
  private readonly scoreCache: { values: Float64Array; at: Int32Array }[];
  private pool: number[] = [];
  private scanned = 0;
  private readonly feasible: number[] = [];
  private readonly total: Float64Array;
  private readonly raw: Float64Array;

  constructor(
    private readonly cycle: Cycle,
    private readonly pipeline: PreparedPipeline,
    private readonly start: number,
    private readonly wanted: number,
  ) {
    const n = (this.n = cycle.nodes.length);
    this.staticVerdict = new Int8Array(n);
    this.removed = new Uint8Array(n);
    this.nodeVersion = new Int32Array(n);
    this.nodeCheckedAt = new Int32Array(n).fill(-1);
    this.nodeOk = new Int8Array(n);
    this.reasons = new Array(n);
    this.rejectedBy = new Array(n);
    this.scoreCache = pipeline.scores.map(() => ({ values: new Float64Array(n), at: new Int32Array(n).fill(-1) }));
    this.total = new Float64Array(n);
    this.raw = new Float64Array(n);
  }

  /** The best feasible node's index for the next instance, or -1 when no node is feasible. */
  next(): { index: number; score: number } | undefined {
    const feasible = this.feasible;
    feasible.length = 0;
    const pool = this.pool;
    let w = 0;
    for (let k = 0; k < pool.length; k++) {
      const i = pool[k];
      const ok = this.dynamicPass(i);
      if (this.removed[i]) continue;
      pool[w++] = i;
      if (ok) feasible.push(i);
    }
    pool.length = w;
    while (feasible.length < this.wanted && this.scanned < this.n) {
      const i = (this.start + this.scanned++) % this.n;
      if (!this.staticPass(i)) continue;
      const ok = this.dynamicPass(i);
      if (this.removed[i]) continue;
      pool.push(i);
      if (ok) feasible.push(i);
    }
    if (feasible.length === 0) return undefined;
    return this.best();
  }

  /** Records a decision on node `index` for the rest of the call. */
  place(index: number): void {
    this.nodeVersion[index]++;
    this.cycle.place(this.cycle.nodes[index]);
  }

  /** Every node's rejection, in node order. Only meaningful right after `next` found nothing (all nodes were then walked). */
  rejections(): NodeRejection[] {
    const out: NodeRejection[] = [];
    for (let i = 0; i < this.n; i++) {
      const reason = this.reasons[i];
      if (reason !== undefined) out.push({ nodeId: this.cycle.nodes[i].node.id, filter: this.rejectedBy[i], reason });
    }
    return out;
  }

  /** The filter that rejected node `index` last, if one did. */
  rejectionOf(index: number): { filter: string; reason: string } | undefined {
    const reason = this.reasons[index];
    return reason === undefined ? undefined : { filter: this.rejectedBy[index], reason };
  }

  private staticPass(i: number): boolean {
    const v = this.staticVerdict[i];
    if (v !== UNKNOWN) return v === PASS;
    const ok = this.runFilters(i, this.pipeline.staticFilters);
    this.staticVerdict[i] = ok ? PASS : FAIL;
    return ok;
  }

  private dynamicPass(i: number): boolean {
    if (this.nodeCheckedAt[i] !== this.nodeVersion[i]) {
      this.nodeOk[i] = this.runFilters(i, this.pipeline.nodeFilters) ? PASS : FAIL;
      this.nodeCheckedAt[i] = this.nodeVersion[i];
    }
    if (this.nodeOk[i] !== PASS) return false;
    if (!this.runFilters(i, this.pipeline.clusterFilters)) return false;
    this.reasons[i] = undefined;
    return true;
  }

  private runFilters(i: number, filters: PreparedFilter[]): boolean {
    const info = this.cycle.nodes[i];
    for (let f = 0; f < filters.length; f++) {
      const { plugin, state } = filters[f];
      const reason = plugin.check(info, state, this.cycle);
      if (reason !== undefined) {
        this.reasons[i] = reason;
        this.rejectedBy[i] = plugin.name;
        if (plugin.monotonic) this.removed[i] = 1;
        return false;
      }
    }
    return true;
  }

  private best(): { index: number; score: number } {
    const feasible = this.feasible;
    const m = feasible.length;
    const total = this.total;
    const raw = this.raw;
    total.fill(0, 0, m);
    const nodes: readonly NodeInfo[] = this.cycle.nodes;
    const scores = this.pipeline.scores;
    for (let s = 0; s < scores.length; s++) {
      const { plugin, state, weight } = scores[s];
      if (plugin.scope === 'cluster') {
        for (let j = 0; j < m; j++) raw[j] = plugin.score(nodes[feasible[j]], state, this.cycle);
      } else {
        const cache = this.scoreCache[s];
        const isStatic = plugin.scope === 'static';
        for (let j = 0; j < m; j++) {
          const i = feasible[j];
          const version = isStatic ? 0 : this.nodeVersion[i];
          if (cache.at[i] !== version) {
            cache.values[i] = plugin.score(nodes[i], state, this.cycle);
            cache.at[i] = version;
          }
          raw[j] = cache.values[i];
        }
      }
      normalizeInto(raw, m, plugin.normalize, weight, total);
    }
    let bestJ = 0;
    for (let j = 1; j < m; j++) if (total[j] > total[bestJ]) bestJ = j;
    return { index: feasible[bestJ], score: Math.round(total[bestJ] * 100) / 100 };
  }
}

import type { Cycle, DomainMap } from './cycle.js';
import type { NodeInfo } from './scheduler.js';

/**
 * How long a plugin's verdict on a node holds within one schedule call — what lets the pipeline
 * check each node once instead of once per decision:
 * - `static`: never changes during the call (labels, taints, readiness);
 * - `node`: changes only when the call places an instance on that same node (resources, ports);
 * - `cluster`: may change whenever the call places an instance anywhere (affinity, spread).
 */
export type Scope = 'static' | 'node' | 'cluster';

/**
 * A feasibility step (swarmkit's Filter, the Kubernetes framework's FilterPlugin). `prepare` is
 * swarmkit's SetTask: it reads the request once per call and returns the plugin's state, or
 * undefined when the plugin has nothing to check for this request (it is then skipped). `check`
 * returns undefined when the node passes, else the reason in the words of the summary
 * (`insufficient memory`; several causes joined by `; `). Checks never throw and never write.
 */
export interface FilterPlugin<S = unknown> {
  readonly name: string;
  readonly scope: Scope;
  /** A node this plugin rejected stays rejected for the rest of the call (usage only grows in a call). */
  readonly monotonic: boolean;
  prepare(cycle: Cycle): S | undefined;
  /** A narrower scope for this call's state (an affinity rule per node is node-scoped though counted per domain). */
  scopeFor?(state: S): Scope;
  /**
   * For a cluster-scoped plugin: the topology domains its verdict depends on alone (all nodes of
   * one zone get the same verdict), when there is one such key. Lets the search judge a zone once
   * instead of each of its nodes.
   */
  domainsFor?(state: S): DomainMap | undefined;
  /** `i` is the node's position in `cycle.nodes`, for per-call arrays. */
  check(node: NodeInfo, state: S, cycle: Cycle, i: number): string | undefined;
}

/**
 * How raw scores become 0..100 across the feasible nodes of one decision:
 * `none` (already 0..100), `max` (raw / max × 100), `reverse-max` (100 − raw / max × 100),
 * `min-max` (lowest → 0, highest → 100), `reverse-min-max` (lowest → 100, highest → 0).
 */
export type Normalization = 'none' | 'max' | 'reverse-max' | 'min-max' | 'reverse-min-max';

/** A ranking step (the framework's ScorePlugin): higher is better after normalization. */
export interface ScorePlugin<S = unknown> {
  readonly name: string;
  readonly scope: Scope;
  readonly normalize: Normalization;
  prepare(cycle: Cycle): S | undefined;
  scopeFor?(state: S): Scope;
  domainsFor?(state: S): DomainMap | undefined;
  score(node: NodeInfo, state: S, cycle: Cycle, i: number): number;
}

/** Helper to keep each plugin's state type while storing plugins in one list. */
export function filterPlugin<S>(p: FilterPlugin<S>): FilterPlugin {
  return p as FilterPlugin;
}

export function scorePlugin<S>(p: ScorePlugin<S>): ScorePlugin {
  return p as ScorePlugin;
}

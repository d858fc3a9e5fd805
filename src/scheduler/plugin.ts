import type { Cycle } from './cycle.js';
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
  check(node: NodeInfo, state: S, cycle: Cycle): string | undefined;
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
  score(node: NodeInfo, state: S, cycle: Cycle): number;
}

/** Helper to keep each plugin's state type while storing plugins in one list. */
export function filterPlugin<S>(p: FilterPlugin<S>): FilterPlugin {
  return p as FilterPlugin;
}

export function scorePlugin<S>(p: ScorePlugin<S>): ScorePlugin {
  return p as ScorePlugin;
}

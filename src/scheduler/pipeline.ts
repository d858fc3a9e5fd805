import type { Cycle, DomainMap } from './cycle.js';
import type { FilterPlugin, Normalization, Scope, ScorePlugin } from './plugin.js';
import type { PluginRegistry, SchedulingProfile } from './registry.js';

export interface PreparedFilter {
  plugin: FilterPlugin;
  state: unknown;
  /** The plugin's scope for this call. */
  scope: Scope;
  domains: DomainMap | undefined;
}

export interface PreparedScore {
  plugin: ScorePlugin;
  state: unknown;
  weight: number;
  scope: Scope;
  domains: DomainMap | undefined;
}

/** The plugins that apply to one call, each with its state, grouped by how long their verdicts hold. */
export interface PreparedPipeline {
  /** Profile order; what explain walks. */
  filters: PreparedFilter[];
  staticFilters: PreparedFilter[];
  nodeFilters: PreparedFilter[];
  clusterFilters: PreparedFilter[];
  scores: PreparedScore[];
}

export function preparePipeline(cycle: Cycle, registry: PluginRegistry, profile: SchedulingProfile, weights: Readonly<Record<string, number>> = {}): PreparedPipeline {
  const filters: PreparedFilter[] = [];
  for (const name of profile.filters) {
    const plugin = registry.filter(name);
    const state = plugin.prepare(cycle);
    if (state !== undefined) filters.push({ plugin, state, scope: plugin.scopeFor?.(state) ?? plugin.scope, domains: plugin.domainsFor?.(state) });
  }
  const scores: PreparedScore[] = [];
  for (const { name, weight: w } of profile.scores) {
    const weight = weights[name] ?? w;
    if (weight <= 0) continue;
    const plugin = registry.score(name);
    const state = plugin.prepare(cycle);
    if (state !== undefined) scores.push({ plugin, state, weight, scope: plugin.scopeFor?.(state) ?? plugin.scope, domains: plugin.domainsFor?.(state) });
  }
  return {
    filters,
    staticFilters: filters.filter((f) => f.scope === 'static'),
    nodeFilters: filters.filter((f) => f.scope === 'node'),
    clusterFilters: filters.filter((f) => f.scope === 'cluster'),
    scores,
  };
}

/**
 * Maps `raw[0..m)` to 0..100 as `how` says and adds `weight ×` the result to `total`; writes the
 * normalized values to `out` when given (for explanations). When every node has the same raw
 * score the plugin does not tell them apart, and all get the same value.
 */
export function normalizeInto(raw: Float64Array, m: number, how: Normalization, weight: number, total: Float64Array, out?: Float64Array): void {
  let min = Infinity;
  let max = -Infinity;
  if (how !== 'none') {
    for (let j = 0; j < m; j++) {
      const v = raw[j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  for (let j = 0; j < m; j++) {
    const v = raw[j];
    let s: number;
    switch (how) {
      case 'none':
        s = v;
        break;
      case 'max':
        s = max > 0 ? (v / max) * 100 : 0;
        break;
      case 'reverse-max':
        s = max > 0 ? 100 - (v / max) * 100 : 100;
        break;
      case 'min-max':
        s = max > min ? ((v - min) / (max - min)) * 100 : 0;
        break;
      case 'reverse-min-max':
        s = max > min ? ((max - v) / (max - min)) * 100 : 100;
        break;
    }
    total[j] += weight * s;
    if (out) out[j] = s;
  }
}

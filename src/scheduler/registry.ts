import { OrchestrationError } from '../types/errors.js';
import type { FilterPlugin, ScorePlugin } from './plugin.js';
import { hostPortsFilter } from './plugins/host-ports.js';
import { existingAntiAffinityFilter, instanceAffinityFilter, instanceAffinityScore, instanceAntiAffinityFilter } from './plugins/instance-affinity.js';
import { nodeAffinityFilter, nodeAffinityScore, nodeSelectorFilter } from './plugins/node-affinity.js';
import { nodeReadyFilter } from './plugins/node-ready.js';
import { balancedAllocationScore, resourceAllocationScore, resourcesFitFilter } from './plugins/resources.js';
import { taintTolerationFilter, taintTolerationScore } from './plugins/taint-toleration.js';
import { topologySpreadFilter, topologySpreadScore } from './plugins/topology-spread.js';
import { workloadSpreadScore } from './plugins/workload-spread.js';

/** Which plugins run, in which order, with which score weights (the framework's profile). */
export interface SchedulingProfile {
  filters: readonly string[];
  scores: readonly { name: string; weight: number }[];
}

/**
 * The default order. Filters whose verdict cannot change within a call run first (each node is
 * checked by them once per call), cheapest and most often rejecting first, so that a node's
 * reported reason is the most basic one: readiness, then where the workload may run (selector,
 * affinity, taints, others' anti-affinity), then room (resources, ports), then the rules that
 * depend on where copies already are (anti-affinity, affinity, spread).
 * Score weights are Kubernetes' defaults; taints weigh most because PreferNoSchedule is an
 * operator's explicit wish.
 */
export const DEFAULT_PROFILE: SchedulingProfile = {
  filters: [
    'node-ready',
    'node-selector',
    'node-affinity',
    'taint-toleration',
    'existing-anti-affinity',
    'resources-fit',
    'host-ports',
    'instance-anti-affinity',
    'instance-affinity',
    'topology-spread',
  ],
  scores: [
    { name: 'resource-allocation', weight: 1 },
    { name: 'balanced-allocation', weight: 1 },
    { name: 'node-affinity', weight: 2 },
    { name: 'instance-affinity', weight: 2 },
    { name: 'taint-toleration', weight: 3 },
    { name: 'topology-spread', weight: 2 },
    { name: 'workload-spread', weight: 1 },
  ],
};

/** Plugins by name. A new rule is a plugin registered here (or on a registry of one's own) and named in a profile. */
export class PluginRegistry {
  private readonly filters = new Map<string, FilterPlugin>();
  private readonly scores = new Map<string, ScorePlugin>();

  registerFilter(p: FilterPlugin): this {
    this.filters.set(p.name, p);
    return this;
  }

  registerScore(p: ScorePlugin): this {
    this.scores.set(p.name, p);
    return this;
  }

  filter(name: string): FilterPlugin {
    const p = this.filters.get(name);
    if (!p) throw new OrchestrationError('InvalidInput', `unknown filter plugin "${name}" (known: ${[...this.filters.keys()].join(', ')})`);
    return p;
  }

  score(name: string): ScorePlugin {
    const p = this.scores.get(name);
    if (!p) throw new OrchestrationError('InvalidInput', `unknown score plugin "${name}" (known: ${[...this.scores.keys()].join(', ')})`);
    return p;
  }
}

export function defaultRegistry(): PluginRegistry {
  const r = new PluginRegistry();
  for (const f of [nodeReadyFilter, nodeSelectorFilter, nodeAffinityFilter, taintTolerationFilter, existingAntiAffinityFilter, resourcesFitFilter, hostPortsFilter, instanceAntiAffinityFilter, instanceAffinityFilter, topologySpreadFilter]) r.registerFilter(f);
  for (const s of [resourceAllocationScore, balancedAllocationScore, nodeAffinityScore, instanceAffinityScore, taintTolerationScore, topologySpreadScore, workloadSpreadScore]) r.registerScore(s);
  return r;
}

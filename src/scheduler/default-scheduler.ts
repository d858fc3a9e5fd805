import { Cycle, type SchedulingPolicy } from './cycle.js';
import { noPlacement } from './no-placement.js';
import { sortedNodes } from './node-order.js';
import { preparePipeline } from './pipeline.js';
import { planPreemption } from './preemption.js';
import { PlacementRun } from './placement-run.js';
import { RunBuffers } from './run-buffers.js';
import { DEFAULT_PROFILE, defaultRegistry, type PluginRegistry, type SchedulingProfile } from './registry.js';
import type { ClusterSnapshot, ScheduleDecision, ScheduleRequest, Scheduler } from './scheduler.js';

export interface DefaultSchedulerOptions {
  /** `spread` (default) or `binpack`: see SchedulingPolicy. */
  resourceStrategy?: SchedulingPolicy['resourceStrategy'];
  /** Score weights by plugin name, over the profile's; 0 turns a score off. */
  weights?: Record<string, number>;
  /**
   * Kubernetes' percentageOfNodesToScore: the share of nodes to find feasible before choosing.
   * Unset: adaptive as in Kubernetes, 50% less 1% per 125 nodes, at least 5% — 10% of 5,000.
   * 100 considers every node.
   */
  percentageOfNodesToScore?: number;
  /** Fewer nodes than this are always all considered (Kubernetes' minFeasibleNodesToFind). */
  minFeasibleNodesToFind?: number;
  /**
   * `auto` (default): the incremental grouped search whenever the plugins allow it; `scan`: always
   * the plain scan. Both must decide alike; `scan` exists to check that.
   */
  search?: 'auto' | 'scan';
  /** Plan the eviction of lower-priority instances when an instance fits nowhere (default true). */
  preemption?: boolean;
  profile?: SchedulingProfile;
  registry?: PluginRegistry;
}

/**
 * The filter/score pipeline (the `default` scheduler). For each instance of the request: walk the
 * nodes through the filters, score the feasible ones, take the best, and record it so the next
 * instance of the call sees it. Ties go to the node met first in the walk, whose start depends
 * only on the request, so the same request on the same snapshot always gets the same answer.
 * Not reentrant: one call at a time per instance (it reuses its per-node buffers).
 */
export class DefaultScheduler implements Scheduler {
  readonly name = 'default';
  private readonly policy: SchedulingPolicy;
  private readonly profile: SchedulingProfile;
  private readonly registry: PluginRegistry;
  private readonly buffers = new RunBuffers();

  constructor(private readonly options: DefaultSchedulerOptions = {}) {
    this.policy = { resourceStrategy: options.resourceStrategy ?? 'spread' };
    this.profile = options.profile ?? DEFAULT_PROFILE;
    this.registry = options.registry ?? defaultRegistry();
  }

  schedule(request: ScheduleRequest, snapshot: ClusterSnapshot): ScheduleDecision[] {
    const nodes = sortedNodes(snapshot);
    if (request.count <= 0) return [];
    if (nodes.length === 0) return fill(request.count, noPlacement(0, []));
    const cycle = new Cycle(request, snapshot, nodes, this.policy);
    const pipeline = preparePipeline(cycle, this.registry, this.profile, this.options.weights);
    const run = new PlacementRun(cycle, pipeline, startOffset(request, nodes.length), this.feasibleToFind(nodes.length), this.buffers, this.options.search ?? 'auto');
    const decisions: ScheduleDecision[] = [];
    while (decisions.length < request.count) {
      const found = run.next();
      if (!found) {
        // Nothing placed: the copies after this one would meet the same cluster. One preemption
        // plan per call, on the first of them; the core schedules again once the victims are gone.
        const decision = noPlacement(nodes.length, run.rejections());
        const preemption = this.options.preemption === false ? undefined : planPreemption(cycle, pipeline);
        const rest = fill(request.count - decisions.length - 1, decision);
        return [...decisions, preemption && decision.kind === 'NoPlacement' ? { ...decision, preemption } : decision, ...rest];
      }
      run.place(found.index);
      decisions.push({ kind: 'AssignNode', nodeId: nodes[found.index].node.id, score: found.score });
    }
    return decisions;
  }

  /** Kubernetes' numFeasibleNodesToFind. */
  private feasibleToFind(n: number): number {
    const min = this.options.minFeasibleNodesToFind ?? 100;
    if (n <= min) return n;
    const pct = this.options.percentageOfNodesToScore ?? Math.max(5, 50 - n / 125);
    if (pct >= 100) return n;
    return Math.max(min, Math.floor((n * pct) / 100));
  }
}

function fill(n: number, d: ScheduleDecision): ScheduleDecision[] {
  return Array.from({ length: n }, () => d);
}

/**
 * Where the walk over the nodes starts: a hash of the workload and how many copies it has, so
 * that different workloads (and successive calls for one) look at different nodes first, while
 * the same request always starts at the same place.
 */
export function startOffset(request: ScheduleRequest, n: number): number {
  let h = 0x811c9dc5;
  const s = `${request.workload.workloadId}/${request.currentInstances.length}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

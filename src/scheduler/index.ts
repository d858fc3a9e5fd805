/** What other folders may use of the scheduler. */
export type {
  BoundInstance,
  ClusterSnapshot,
  InstanceIndex,
  NodeInfo,
  NodeRejection,
  PlacedInstance,
  PreemptionPlan,
  ScheduleDecision,
  ScheduleRequest,
  Scheduler,
} from './scheduler.js';
export { SchedulerState } from './cluster-state.js';
export { RoundRobinScheduler } from './round-robin.js';
export { ResourceAwareScheduler } from './resource-aware.js';
export { DefaultScheduler, type DefaultSchedulerOptions } from './default-scheduler.js';
export { createScheduler, SCHEDULER_NAMES, type SchedulerName } from './create-scheduler.js';
export { explainPlacement, type NodeExplanation, type PlacementExplanation } from './explain.js';
export { noExecuteEvictions, type NoExecuteEviction } from './no-execute.js';
export { summarize as summarizeRejections } from './no-placement.js';
export { DEFAULT_PROFILE, PluginRegistry, defaultRegistry, type SchedulingProfile } from './registry.js';
export type { FilterPlugin, ScorePlugin, Scope, Normalization } from './plugin.js';
export type { Cycle, SchedulingPolicy } from './cycle.js';
export { tolerates, formatTaint } from './taints.js';

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
export { summarize as summarizeRejections } from './no-placement.js';
export { createScheduler, SCHEDULER_NAMES, type SchedulerName } from './create-scheduler.js';

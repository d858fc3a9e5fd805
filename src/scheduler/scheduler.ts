import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { ResourceVector } from '../types/resources.js';
import type { WorkloadDefinition } from '../types/workload.js';
import type { InstanceAffinityTerm } from '../types/placement.js';

/** What the scheduler needs to know of an instance already placed on a node. */
export interface PlacedInstance {
  instanceId: string;
  workloadId: string;
  labels: Record<string, string>;
  priority: number;
  requests: ResourceVector;
  hostPorts: string[];
  createdAt: string;
}

/**
 * One node as the scheduler sees it: the node, and the running sums of what is bound to it. The
 * control plane keeps these up to date incrementally as instances are bound and removed, so a
 * decision never rescans every instance.
 */
export interface NodeInfo {
  readonly node: Node;
  /** Sum of `requests` of every live instance bound to the node. */
  readonly requested: ResourceVector;
  readonly instances: ReadonlyMap<string, PlacedInstance>;
  /** `TCP/8080` → instanceId. */
  readonly hostPorts: ReadonlyMap<string, string>;
  /** `node.allocatable` as a vector, cached by snapshots that keep one (SchedulerState does). */
  readonly allocatable?: ResourceVector;
}

/** A placed instance and the node it is bound to. */
export interface BoundInstance {
  readonly instance: PlacedInstance;
  readonly node: NodeInfo;
}

/**
 * Lookups a snapshot may keep so that affinity and spread need not rescan every instance. A
 * snapshot without them is scanned once per schedule call instead (same answers, slower).
 */
export interface InstanceIndex {
  /** Bound instances carrying label `key=value`. */
  withLabel(key: string, value: string): Iterable<BoundInstance>;
  /** Bound instances of one workload. */
  ofWorkload(workloadId: string): Iterable<BoundInstance>;
  /** Every bound instance. */
  all(): Iterable<BoundInstance>;
  /** One bound instance by id. */
  find(instanceId: string): BoundInstance | undefined;
  /** Required anti-affinity terms of workloads with bound instances (symmetric anti-affinity). */
  antiAffinityHolders(): Iterable<{ workloadId: string; terms: readonly InstanceAffinityTerm[] }>;
}

/** A read-only view of the cluster at one moment. The scheduler must not change it. */
export interface ClusterSnapshot {
  nodes(): Iterable<NodeInfo>;
  node(id: string): NodeInfo | undefined;
  readonly nodeCount: number;
  /**
   * The nodes sorted by id, kept between calls (optional; otherwise built per call). A snapshot
   * that keeps it must return a new array when a node comes, goes or changes labels: the
   * scheduler caches topology domains by the array's identity.
   */
  nodeList?(): readonly NodeInfo[];
  /** Instance lookups kept incrementally (optional; otherwise built per call). */
  instanceIndex?(): InstanceIndex;
}

export interface ScheduleRequest {
  workload: WorkloadDefinition;
  /** The workload's live instances (for spreading its own copies). */
  currentInstances: readonly WorkloadInstance[];
  /** How many new instances to place. */
  count: number;
  /** Requests of one new instance. */
  requests: ResourceVector;
  hostPorts: string[];
  /** Labels of a new instance; defaults to the workload's labels. */
  labels?: Record<string, string>;
  /**
   * Ids of existing (Pending) instances this call places. Whatever the snapshot counts for them —
   * a reservation on the node nominated by a preemption — is set aside for the call, so an
   * instance never competes with its own reservation.
   */
  placing?: readonly string[];
}

/** Why one node was not chosen: the filter's name and its words. */
export interface NodeRejection {
  nodeId: string;
  filter: string;
  reason: string;
}

/** Where a higher-priority instance would go once `victims` (instance ids) are evicted. */
export interface PreemptionPlan {
  nodeId: string;
  victims: string[];
}

/** The seed's ScheduleDecision, one per requested instance, in order. */
export type ScheduleDecision =
  | { kind: 'AssignNode'; nodeId: string; score?: number }
  | {
      kind: 'NoPlacement';
      /** `0/5 nodes available: 3 insufficient memory, 2 cordoned`. */
      reason: string;
      rejections: NodeRejection[];
      /**
       * Set when evicting lower-priority instances would make room: the core evicts `victims` (and
       * says so in events), then schedules again. Only the `default` scheduler plans preemption.
       */
      preemption?: PreemptionPlan;
    }
  | { kind: 'Error'; message: string };

/**
 * Decides placements. Pure: it reads the snapshot and returns decisions, and never writes; the core
 * commits them with a compare-and-swap and tells the scheduler nothing else. Each decision of one
 * call takes the earlier ones into account (two instances placed by one call do not both claim the
 * last free gigabyte).
 */
export interface Scheduler {
  readonly name: string;
  schedule(request: ScheduleRequest, snapshot: ClusterSnapshot): ScheduleDecision[];
}

import type { ObjectMeta } from './common.js';
import type { ResourceVector } from './resources.js';

export const INSTANCE_STATUSES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Terminating'] as const;
export type WorkloadInstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const CONTAINER_STATES = ['Created', 'Starting', 'Running', 'Stopped', 'Error'] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** What the runtime and agent observe of one container. */
export interface ContainerStatus {
  /** The runtime's id for the container. */
  containerId: string;
  /** The container's name in its workload's template. */
  name: string;
  state: ContainerState;
  ready?: boolean;
  exitCode?: number;
  /** `Completed`, `Error`, `OOMKilled`, `CrashLoopBackOff`, `ImagePulling`, `ContainerCannotRun`… */
  reason?: string;
  message?: string;
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  /** Host PID of the container's first process, where the runtime has one. */
  pid?: number;
  /** The exit of the run before this one, kept so a crash loop stays explainable. */
  lastTermination?: { exitCode?: number; reason?: string; finishedAt?: string };
  /** When a waiting container will next be started (crash-loop backoff). */
  nextRetryAt?: string;
  /** Labels the runtime stores with the container: which instance it belongs to, so it can be adopted. */
  labels?: Record<string, string>;
}

/**
 * One copy of a workload (Kubernetes' pod). The control plane creates it Pending, binds it to a node
 * (`nodeId`), and asks for its end by setting `deletionRequestedAt`; the node's agent runs it, reports
 * `status` and `containers`, and removes the record once its containers are gone.
 */
export interface WorkloadInstance extends ObjectMeta {
  instanceId: string;
  /** `<workload>-<5 chars>`, the container's hostname; unique while the instance exists. */
  name: string;
  workloadId: string;
  workloadName: string;
  /** Empty until the scheduler binds it. */
  nodeId: string;
  status: WorkloadInstanceStatus;
  /** Every container Running and passing its readiness probe. */
  ready: boolean;
  containers: ContainerStatus[];
  reason?: string;
  message?: string;
  /** The workload template revision this instance runs. */
  revision: number;
  labels: Record<string, string>;
  priority: number;
  /** Sum of the template's container requests: what the scheduler counts against the node. */
  requests: ResourceVector;
  /** `TCP/8080`-style host ports the instance holds on its node. */
  hostPorts: string[];
  scheduledAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Since when the instance has been ready without interruption (for minReadySeconds). */
  readySince?: string;
  /** Set by the control plane to ask the agent to stop the instance; its agent then removes it. */
  deletionRequestedAt?: string;
  /** The node a preemption is making room on for this instance. */
  nominatedNodeId?: string;
  /** How long its containers get between SIGTERM and SIGKILL (from the template, kept for the agent). */
  gracePeriodSeconds?: number;
  /** For jobs: which completion index this instance works on. */
  completionIndex?: number;
}

export function isTerminal(status: WorkloadInstanceStatus): boolean {
  return status === 'Succeeded' || status === 'Failed';
}

/** The order lists show instances in: by workload, then oldest first. */
export function byWorkloadThenAge(a: Pick<WorkloadInstance, 'workloadName' | 'createdAt'>, b: Pick<WorkloadInstance, 'workloadName' | 'createdAt'>): number {
  return a.workloadName.localeCompare(b.workloadName) || a.createdAt.localeCompare(b.createdAt);
}

/** An instance that still counts toward its workload's replicas. */
export function isLive(i: Pick<WorkloadInstance, 'status' | 'deletionRequestedAt'>): boolean {
  return !i.deletionRequestedAt && i.status !== 'Terminating' && !isTerminal(i.status);
}

/** What an agent reports for one instance (`POST /api/v1/instances/status`). */
export interface InstanceStatusReport {
  instanceId: string;
  status: WorkloadInstanceStatus;
  ready: boolean;
  containers: ContainerStatus[];
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  readySince?: string;
}

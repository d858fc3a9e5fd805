import { z } from 'zod';
import { dnsLabel, labels, nonNegativeInt, positiveInt, UUID, type ObjectMeta } from './common.js';
import { containerConfigSchema, type ContainerConfig } from './container.js';
import { affinitySchema, tolerationSchema, topologySpreadSchema } from './placement.js';

export const MAX_REPLICAS = 10_000;
export const WORKLOAD_KINDS = ['service', 'job', 'daemon'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** `2` or `"25%"`: how many instances a rollout may add or take away at a time. */
const intOrPercent = z.union([nonNegativeInt(MAX_REPLICAS), z.string().regex(/^\d{1,3}%$/, { error: 'must be a whole number or a percentage like "25%"' })]);

export const strategySchema = z.strictObject({
  type: z.enum(['RollingUpdate', 'Recreate']).default('RollingUpdate'),
  maxSurge: intOrPercent.default('25%'),
  maxUnavailable: intOrPercent.default('25%'),
});
export type UpdateStrategy = z.infer<typeof strategySchema>;

export const jobSpecSchema = z.strictObject({
  completions: positiveInt(MAX_REPLICAS).default(1),
  parallelism: positiveInt(MAX_REPLICAS).default(1),
  backoffLimit: nonNegativeInt(1000).default(6),
  activeDeadlineSeconds: positiveInt().optional(),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;

/** Fields the server keeps; accepted on input (so a fetched object can be sent back) and ignored. */
const serverKept = {
  generation: z.unknown().optional(),
  templateRevision: z.unknown().optional(),
  createdAt: z.unknown().optional(),
  status: z.unknown().optional(),
};

/**
 * What a user submits (`workload create -f`, `POST /api/v1/workloads`). Defaults are filled in here,
 * so the stored definition is always complete and every reader sees the same values.
 */
export const workloadSpecSchema = z
  .strictObject({
    workloadId: z.string().regex(UUID, { error: 'must be a UUID' }).optional(),
    name: dnsLabel,
    kind: z.enum(WORKLOAD_KINDS).default('service'),
    labels: labels.default({}),
    replicas: z.int({ error: `must be an integer from 0 to ${MAX_REPLICAS}` }).min(0, { error: `must be an integer from 0 to ${MAX_REPLICAS}` }).max(MAX_REPLICAS, { error: `must be an integer from 0 to ${MAX_REPLICAS}` }).default(1),
    containers: z.array(containerConfigSchema).min(1, { error: 'must have at least one container' }).max(16),
    nodeSelector: labels.optional(),
    affinity: affinitySchema.optional(),
    tolerations: z.array(tolerationSchema).max(64).optional(),
    topologySpread: z.array(topologySpreadSchema).max(8).optional(),
    priority: z.int().min(-1_000_000).max(1_000_000_000).default(0),
    restartPolicy: z.enum(RESTART_POLICIES).optional(),
    strategy: strategySchema.default({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }),
    minReadySeconds: nonNegativeInt(3600).default(0),
    progressDeadlineSeconds: positiveInt(86_400).default(600),
    terminationGracePeriodSeconds: nonNegativeInt(86_400).default(30),
    job: jobSpecSchema.optional(),
    paused: z.boolean().default(false),
    resourceVersion: z.string().regex(/^\d+$/, { error: 'must be a resourceVersion from the server' }).optional(),
    ...serverKept,
  })
  .superRefine((w, ctx) => {
    const seen = new Map<string, number>();
    w.containers.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'name'], message: `duplicates containers[${seen.get(c.name)}].name "${c.name}"` });
      seen.set(c.name, i);
    });
    const hostPorts = new Map<string, string>();
    w.containers.forEach((c, i) =>
      c.portMappings?.forEach((p, j) => {
        if (p.hostPort === undefined) return;
        const key = `${p.protocol ?? 'TCP'}/${p.hostPort}`;
        const here = `containers[${i}].portMappings[${j}]`;
        if (hostPorts.has(key)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'portMappings', j, 'hostPort'], message: `host port ${key} is already used by ${hostPorts.get(key)}` });
        hostPorts.set(key, here);
      }),
    );
    w.containers.forEach((c, i) => {
      for (const field of ['cpuMillicores', 'memoryMb', 'diskMb'] as const) {
        const req = c.resourceRequests?.[field];
        const lim = c.resourceLimits?.[field];
        if (req !== undefined && lim !== undefined && lim < req) ctx.addIssue({ code: 'custom', path: ['containers', i, 'resourceLimits', field], message: `must be at least the request (${req})` });
      }
    });
    if (w.job && w.kind !== 'job') ctx.addIssue({ code: 'custom', path: ['job'], message: 'is only allowed when kind is "job"' });
    if (w.kind === 'job' && w.restartPolicy === 'Always') ctx.addIssue({ code: 'custom', path: ['restartPolicy'], message: 'must be OnFailure or Never for a job' });
  });

export type WorkloadSpecInput = z.input<typeof workloadSpecSchema>;
export type WorkloadSpec = z.output<typeof workloadSpecSchema>;

export interface WorkloadCondition {
  type: 'Available' | 'Progressing' | 'Complete' | 'Failed' | 'Schedulable';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** Observed state of a workload, written by the control plane only. */
export interface WorkloadStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  pendingReplicas: number;
  /** Jobs: instances that finished with success / failure. */
  succeeded?: number;
  failed?: number;
  conditions: WorkloadCondition[];
  /** Why instances are Pending, when they are (the scheduler's explanation). */
  pendingReason?: string;
}

/**
 * Desired state of a workload as stored: the user's spec with every default filled, plus the
 * server-kept `generation` (bumped when the spec changes), `templateRevision` (bumped when the
 * instance template — containers and what runs them — changes) and status.
 */
export interface WorkloadDefinition extends ObjectMeta {
  workloadId: string;
  name: string;
  kind: WorkloadKind;
  labels: Record<string, string>;
  replicas: number;
  containers: ContainerConfig[];
  nodeSelector?: Record<string, string>;
  affinity?: WorkloadSpec['affinity'];
  tolerations?: WorkloadSpec['tolerations'];
  topologySpread?: WorkloadSpec['topologySpread'];
  priority: number;
  restartPolicy: RestartPolicy;
  strategy: WorkloadSpec['strategy'];
  minReadySeconds: number;
  progressDeadlineSeconds: number;
  terminationGracePeriodSeconds: number;
  job?: WorkloadSpec['job'];
  paused: boolean;
  generation: number;
  templateRevision: number;
  status: WorkloadStatus;
}

/**
 * The part of a workload that each instance runs. A change to any of it is a new revision and, for
 * a service, a rollout; a change to anything else (replicas, labels, placement) is not.
 */
export interface InstanceTemplate {
  containers: ContainerConfig[];
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
}

/** One stored revision of a workload's template (Kubernetes' ControllerRevision). */
export interface WorkloadRevision {
  workloadId: string;
  revision: number;
  template: InstanceTemplate;
  createdAt: string;
  /** What caused it (`create`, `apply`, `rollback to 2`). */
  cause?: string;
}

export function templateOf(w: Pick<WorkloadDefinition, 'containers' | 'restartPolicy' | 'terminationGracePeriodSeconds'>): InstanceTemplate {
  return { containers: w.containers, restartPolicy: w.restartPolicy, terminationGracePeriodSeconds: w.terminationGracePeriodSeconds };
}

export function defaultRestartPolicy(kind: WorkloadKind): RestartPolicy {
  return kind === 'job' ? 'OnFailure' : 'Always';
}

export function emptyWorkloadStatus(): WorkloadStatus {
  return { observedGeneration: 0, replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0, pendingReplicas: 0, conditions: [] };
}

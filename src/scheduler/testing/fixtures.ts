/**
 * Builders of nodes, workloads and instances for scheduler tests and the scheduler benchmark:
 * complete objects with only what a test cares about spelled out.
 */
import type { WorkloadInstance } from '../../types/instance.js';
import type { Node } from '../../types/node.js';
import { emptyVector, requestVector, type ResourceRequirements, type ResourceVector } from '../../types/resources.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../../types/workload.js';
import type { ScheduleRequest } from '../scheduler.js';

const T0 = '2026-01-01T00:00:00.000Z';

export interface NodeSpec {
  cpu?: number;
  memoryMb?: number;
  diskMb?: number;
  extended?: Record<string, number>;
  labels?: Record<string, string>;
  taints?: Node['taints'];
  status?: Node['status'];
  unschedulable?: boolean;
}

export function makeNode(id: string, spec: NodeSpec = {}): Node {
  const resources = { cpuCores: spec.cpu ?? 4, memoryMb: spec.memoryMb ?? 8192, diskMb: spec.diskMb ?? 100_000, ...(spec.extended ? { extended: spec.extended } : {}) };
  return {
    id,
    name: id,
    status: spec.status ?? 'Ready',
    capacity: resources,
    allocatable: resources,
    labels: spec.labels ?? {},
    taints: spec.taints ?? [],
    unschedulable: spec.unschedulable ?? false,
    lastHeartbeat: T0,
    resourceVersion: '1',
    createdAt: T0,
  };
}

export type WorkloadSpecPart = Partial<Pick<WorkloadDefinition, 'labels' | 'nodeSelector' | 'affinity' | 'tolerations' | 'topologySpread' | 'priority' | 'replicas'>> & {
  requests?: ResourceRequirements;
  hostPorts?: number[];
};

export function makeWorkload(id: string, spec: WorkloadSpecPart = {}): WorkloadDefinition {
  return {
    workloadId: id,
    name: id,
    kind: 'service',
    labels: spec.labels ?? { app: id },
    replicas: spec.replicas ?? 1,
    containers: [
      {
        name: 'main',
        image: 'busybox',
        ...(spec.requests ? { resourceRequests: spec.requests } : {}),
        ...(spec.hostPorts ? { portMappings: spec.hostPorts.map((p) => ({ containerPort: p, hostPort: p, protocol: 'TCP' as const })) } : {}),
      },
    ],
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.affinity ? { affinity: spec.affinity } : {}),
    ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
    ...(spec.topologySpread ? { topologySpread: spec.topologySpread } : {}),
    priority: spec.priority ?? 0,
    restartPolicy: 'Always',
    strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' },
    minReadySeconds: 0,
    progressDeadlineSeconds: 600,
    terminationGracePeriodSeconds: 30,
    paused: false,
    generation: 1,
    templateRevision: 1,
    status: emptyWorkloadStatus(),
    resourceVersion: '1',
    createdAt: T0,
  };
}

export function hostPortsOf(w: WorkloadDefinition): string[] {
  return w.containers.flatMap((c) => (c.portMappings ?? []).filter((p) => p.hostPort !== undefined).map((p) => `${p.protocol ?? 'TCP'}/${p.hostPort}`));
}

export function requestsOf(w: WorkloadDefinition): ResourceVector {
  const out = emptyVector();
  for (const c of w.containers) {
    const r = requestVector(c.resourceRequests);
    out.cpuMillicores += r.cpuMillicores;
    out.memoryMb += r.memoryMb;
    out.diskMb += r.diskMb;
    for (const [k, v] of Object.entries(r.extended)) out.extended[k] = (out.extended[k] ?? 0) + v;
  }
  return out;
}

export function makeInstance(id: string, w: WorkloadDefinition, nodeId: string, over: Partial<WorkloadInstance> = {}): WorkloadInstance {
  return {
    instanceId: id,
    name: `${w.name}-${id}`,
    workloadId: w.workloadId,
    workloadName: w.name,
    nodeId,
    status: 'Running',
    ready: true,
    containers: [],
    revision: 1,
    labels: { ...w.labels },
    priority: w.priority,
    requests: requestsOf(w),
    hostPorts: hostPortsOf(w),
    resourceVersion: '1',
    createdAt: T0,
    ...over,
  };
}

export function requestFor(w: WorkloadDefinition, count: number, currentInstances: WorkloadInstance[] = []): ScheduleRequest {
  return { workload: w, currentInstances, count, requests: requestsOf(w), hostPorts: hostPortsOf(w) };
}

/**
 * Test support (not product code): plain objects of the resource model with every required field,
 * for the core's unit tests; override what a test is about.
 */
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../types/workload.js';

let seq = 0;
export function inst(p: Partial<WorkloadInstance> = {}): WorkloadInstance {
  const id = p.instanceId ?? `i${++seq}`;
  return {
    instanceId: id, name: id, workloadId: 'w', workloadName: 'web', nodeId: 'n1', status: 'Running', ready: true, containers: [], revision: 1,
    labels: {}, priority: 0, requests: { cpuMillicores: 0, memoryMb: 0, diskMb: 0, extended: {} }, hostPorts: [], createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1', ...p,
  };
}

export function workload(p: Partial<WorkloadDefinition> = {}): WorkloadDefinition {
  return {
    workloadId: 'w', name: 'web', kind: 'service', labels: {}, replicas: 3, containers: [{ name: 'c', image: 'busybox' }] as WorkloadDefinition['containers'],
    priority: 0, restartPolicy: 'Always', strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }, minReadySeconds: 0, progressDeadlineSeconds: 600,
    terminationGracePeriodSeconds: 30, paused: false, generation: 1, templateRevision: 1, status: emptyWorkloadStatus(), createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1', ...p,
  };
}

export function node(id: string, p: Partial<Node> = {}): Node {
  const size = { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 };
  return { id, name: id, status: 'Ready', capacity: size, allocatable: size, labels: {}, taints: [], unschedulable: false, lastHeartbeat: '', createdAt: '', resourceVersion: '1', ...p };
}

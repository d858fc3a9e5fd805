import { randomInt } from 'node:crypto';
import type { WorkloadInstance } from '../types/instance.js';
import { addInto, emptyVector, requestVector, type ResourceVector } from '../types/resources.js';
import type { WorkloadDefinition } from '../types/workload.js';

/** The label every instance carries with its workload's name, so selectors can find a workload's instances. */
export const WORKLOAD_LABEL = 'orchestrator/workload';

// Kubernetes' suffix alphabet: no vowels (no words) and no look-alike characters.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function instanceName(workloadName: string): string {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `${workloadName}-${suffix}`;
}

/** What one instance of `w` asks of its node: the sum of its containers' requests. */
export function instanceRequests(w: Pick<WorkloadDefinition, 'containers'>): ResourceVector {
  const total = emptyVector();
  for (const c of w.containers) addInto(total, requestVector(c.resourceRequests));
  return total;
}

/** The labels every instance of `w` carries: the workload's, and which workload it belongs to. */
export function instanceLabels(w: Pick<WorkloadDefinition, 'labels' | 'name'>): Record<string, string> {
  return { ...w.labels, [WORKLOAD_LABEL]: w.name };
}

export function instanceHostPorts(w: Pick<WorkloadDefinition, 'containers'>): string[] {
  const ports: string[] = [];
  for (const c of w.containers) for (const p of c.portMappings ?? []) if (p.hostPort !== undefined) ports.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
  return ports;
}

/** A new instance of the workload's current template, bound to `nodeId` ('' = not yet placed). */
export function newInstance(w: WorkloadDefinition, nodeId: string, now: string, extra: Partial<WorkloadInstance> = {}): WorkloadInstance {
  const name = instanceName(w.name);
  return {
    instanceId: name,
    name,
    workloadId: w.workloadId,
    workloadName: w.name,
    nodeId,
    status: 'Pending',
    ready: false,
    containers: [],
    revision: w.templateRevision,
    labels: instanceLabels(w),
    priority: w.priority,
    requests: instanceRequests(w),
    hostPorts: instanceHostPorts(w),
    gracePeriodSeconds: w.terminationGracePeriodSeconds,
    createdAt: now,
    resourceVersion: '0',
    ...(nodeId ? { scheduledAt: now, reason: 'Scheduled' } : {}),
    ...extra,
  };
}

import { beforeEach, describe, expect, it } from 'vitest';
import { newInstance } from '../core/instance-factory.js';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { OrchestrationError } from '../types/errors.js';
import type { InstanceStatusReport, WorkloadInstance } from '../types/instance.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../types/workload.js';
import { InstanceService } from './instance-service.js';

const w = {
  workloadId: 'w1', name: 'web', kind: 'service', labels: {}, replicas: 1, containers: [{ name: 'main', image: 'busybox' }],
  priority: 0, restartPolicy: 'Always', strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }, minReadySeconds: 0, progressDeadlineSeconds: 600,
  terminationGracePeriodSeconds: 30, paused: false, generation: 1, templateRevision: 1, status: emptyWorkloadStatus(), createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1',
} as unknown as WorkloadDefinition;

const running = (id: string): InstanceStatusReport => ({ instanceId: id, status: 'Running', ready: true, containers: [{ containerId: `${id}.main`, name: 'main', state: 'Running', restartCount: 0 }] });
const agentOf = (nodeId: string) => ({ kind: 'agent' as const, nodeId });

let store: ClusterStore;
let cache: Map<string, WorkloadInstance>;
let service: InstanceService;

async function stored(i: WorkloadInstance): Promise<WorkloadInstance> {
  const res = await store.commit([store.instances.create(i)]);
  return { ...i, resourceVersion: String(res.ok && res.revision) };
}

beforeEach(() => {
  store = new ClusterStore(new MemoryStateStore());
  cache = new Map();
  service = new InstanceService(store, cache);
});

describe('InstanceService reports, read through a cache', () => {
  it('applies a report whose cached copy is behind the store, keeping the newer fields', async () => {
    const first = await stored(newInstance(w, 'n1', '2026-01-01T00:00:00.000Z'));
    cache.set(first.instanceId, first);
    // The control plane asked it to stop; the cache has not seen that yet.
    await store.update(store.instances, first.instanceId, (i) => ({ ...i, deletionRequestedAt: '2026-01-01T00:01:00.000Z' }));
    expect(await service.report([running(first.instanceId)], agentOf('n1'))).toEqual({ applied: 1, unknown: [] });
    expect(await store.instances.get(first.instanceId)).toMatchObject({ status: 'Terminating', deletionRequestedAt: '2026-01-01T00:01:00.000Z' });
  });

  it('accepts a report for an instance bound to the agent\'s node that the cache still has unbound', async () => {
    const unbound = await stored(newInstance(w, '', '2026-01-01T00:00:00.000Z'));
    cache.set(unbound.instanceId, unbound);
    await store.update(store.instances, unbound.instanceId, (i) => ({ ...i, nodeId: 'n1' }));
    expect(await service.report([running(unbound.instanceId)], agentOf('n1'))).toEqual({ applied: 1, unknown: [] });
    expect((await store.instances.get(unbound.instanceId))?.status).toBe('Running');
    await expect(service.report([running(unbound.instanceId)], agentOf('n2'))).rejects.toSatisfy((e) => e instanceof OrchestrationError && e.code === 'Forbidden');
  });

  it('says which reported instances it does not know', async () => {
    expect(await service.report([running('ghost')], agentOf('n1'))).toEqual({ applied: 0, unknown: ['ghost'] });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import type { WriteOp } from '../store/state-store.js';
import type { WorkloadInstance } from '../types/instance.js';
import { silentLogger } from '../types/logger.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../types/workload.js';
import { ClusterCache } from './cluster-cache.js';
import { newInstance } from './instance-factory.js';
import { ALWAYS_LEADER, InstanceWriteBatch, type LeadershipGuard } from './write-batch.js';

const w: WorkloadDefinition = {
  workloadId: 'w1', name: 'web', kind: 'service', labels: {}, replicas: 3, containers: [{ name: 'main', image: 'busybox' }] as WorkloadDefinition['containers'],
  priority: 0, restartPolicy: 'Always', strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }, minReadySeconds: 0, progressDeadlineSeconds: 600,
  terminationGracePeriodSeconds: 30, paused: false, generation: 1, templateRevision: 1, status: emptyWorkloadStatus(), createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1',
};

let store: ClusterStore;
let cache: ClusterCache;

beforeEach(async () => {
  store = new ClusterStore(new MemoryStateStore());
  cache = new ClusterCache(store, { workloadChanged: () => {}, instanceChanged: () => {}, nodeChanged: () => {} }, silentLogger);
  await cache.start();
});

afterEach(() => cache.stop());

async function seed(n: number): Promise<WorkloadInstance[]> {
  const batch = new InstanceWriteBatch(store, cache, ALWAYS_LEADER);
  const list = Array.from({ length: n }, () => newInstance(w, 'n1', '2026-01-01T00:00:00.000Z'));
  for (const i of list) batch.create(i);
  expect(await batch.commit()).toMatchObject({ conflicts: 0 });
  return list.map((i) => cache.instances.get(i.instanceId)!);
}

describe('InstanceWriteBatch', () => {
  it('creates in one transaction and shows the writes in the cache at once', async () => {
    const before = await store.kv.revision();
    const made = await seed(3);
    expect(await store.kv.revision()).toBe(before + 1);
    expect(made.every((i) => i.resourceVersion === String(before + 1))).toBe(true);
    expect((await store.listInstances()).items).toHaveLength(3);
  });

  it('one change that lost a race does not hold back the others', async () => {
    const [a, b, c] = await seed(3);
    // An agent reports on b first.
    await store.update(store.instances, b.instanceId, (i) => ({ ...i, status: 'Running' as const }));
    const batch = new InstanceWriteBatch(store, cache, ALWAYS_LEADER);
    batch.update({ ...a, reason: 'touched' });
    batch.update({ ...b, reason: 'touched' });
    batch.delete(c);
    expect(batch.touches(b)).toBe(true);
    expect(batch.size).toBe(3);
    expect((await batch.commit()).conflicts).toBe(1);
    expect((await store.instances.get(a.instanceId))?.reason).toBe('touched');
    expect(await store.instances.get(b.instanceId)).toMatchObject({ status: 'Running', reason: 'Scheduled' });
    expect(await store.instances.get(c.instanceId)).toBeUndefined();
    expect(cache.instances.get(c.instanceId)).toBeUndefined();
  });

  it('writes nothing when leadership was lost (the guard fails)', async () => {
    const [a] = await seed(1);
    await store.commit([{ op: 'put', key: '/registry/leader', value: 'other' }]);
    const lost: LeadershipGuard = { isLeader: () => true, guard: (): WriteOp => ({ op: 'put', key: '/registry/leader', value: 'me', ifModRevision: 1 }) };
    const batch = new InstanceWriteBatch(store, cache, lost);
    batch.create(newInstance(w, 'n1', '2026-01-01T00:00:00.000Z'));
    batch.update({ ...a, reason: 'x' });
    batch.update({ ...a, instanceId: 'ghost', name: 'ghost' });
    const res = await batch.commit();
    expect(res).toMatchObject({ conflicts: 3, created: [] });
    expect((await store.listInstances()).items.map((i) => i.instanceId)).toEqual([a.instanceId]);
    expect((await store.instances.get(a.instanceId))?.reason).toBe('Scheduled');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { INSTANCE_STATUSES } from '../types/instance.js';
import { InstanceTally } from '../types/instance-tally.js';
import { silentLogger } from '../types/logger.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../types/workload.js';
import { ClusterCache } from './cluster-cache.js';
import { newInstance } from './instance-factory.js';
import { ALWAYS_LEADER, InstanceWriteBatch } from './write-batch.js';

const w: WorkloadDefinition = {
  workloadId: 'w1', name: 'web', kind: 'service', labels: {}, replicas: 3,
  containers: [{ name: 'main', image: 'busybox', resourceRequests: { cpuMillicores: 250, memoryMb: 64 } }] as WorkloadDefinition['containers'],
  priority: 0, restartPolicy: 'Always', strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }, minReadySeconds: 0, progressDeadlineSeconds: 600,
  terminationGracePeriodSeconds: 30, paused: false, generation: 1, templateRevision: 1, status: emptyWorkloadStatus(), createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1',
};

const step = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), node: fc.constantFrom('', 'n1', 'n2') }),
  fc.record({ kind: fc.constant('status' as const), pick: fc.nat(), status: fc.constantFrom(...INSTANCE_STATUSES) }),
  fc.record({ kind: fc.constant('bind' as const), pick: fc.nat(), node: fc.constantFrom('', 'n1', 'n2') }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
);

describe('ClusterCache tally', () => {
  it('always equals a count of the instances it holds, whether changes come from its own writes or the watch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const store = new ClusterStore(new MemoryStateStore());
        const cache = new ClusterCache(store, { workloadChanged: () => {}, instanceChanged: () => {}, nodeChanged: () => {} }, silentLogger);
        await cache.start();
        try {
          for (const s of steps) {
            const ids = [...cache.instances.values()].map((i) => i.instanceId);
            if (s.kind === 'create') {
              const batch = new InstanceWriteBatch(store, cache, ALWAYS_LEADER);
              batch.create(newInstance(w, s.node, '2026-01-01T00:00:00.000Z'));
              await batch.commit();
              continue;
            }
            if (ids.length === 0) continue;
            const id = ids[s.pick % ids.length];
            if (s.kind === 'delete') await store.commit([store.instances.delete(id)]);
            // Status through the store (as an agent's report arrives), binding through the cache's own writes.
            else if (s.kind === 'status') await store.update(store.instances, id, (i) => ({ ...i, status: s.status }));
            else {
              const batch = new InstanceWriteBatch(store, cache, ALWAYS_LEADER);
              batch.update({ ...cache.instances.get(id)!, nodeId: s.node });
              await batch.commit();
            }
          }
          await new Promise((r) => setImmediate(r));
          const expected = InstanceTally.of((await store.listInstances()).items);
          expect({ ...cache.tally }).toEqual({ ...expected });
        } finally {
          cache.stop();
        }
      }),
      { numRuns: 60 },
    );
  });
});

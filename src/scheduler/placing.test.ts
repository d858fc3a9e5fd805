import { describe, expect, it } from 'vitest';
import { DefaultScheduler } from './default-scheduler.js';
import { ResourceAwareScheduler } from './resource-aware.js';
import { clusterOf, reasonOf } from './testing/cluster.js';
import { makeInstance, makeWorkload, requestFor } from './testing/fixtures.js';

/**
 * An instance waiting for a preemption holds its nominated node (the core binds it there in the
 * scheduler's state) so nobody else takes the room; placing that very instance ignores its hold.
 */
describe('placing instances that hold a reservation', () => {
  const urgent = makeWorkload('urgent', {
    requests: { memoryMb: 1000 },
    hostPorts: [80],
    priority: 100,
    affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: 'urgent' } }, topologyKey: 'node' }] } },
  });

  for (const scheduler of [new DefaultScheduler(), new ResourceAwareScheduler()]) {
    it(`${scheduler.name}: keeps others off the reserved room, and lets the reserving instance in`, () => {
      const s = clusterOf({ a: { memoryMb: 1024 } });
      s.bind(makeInstance('waiting', urgent, 'a', { status: 'Pending' }));
      const other = makeWorkload('other', { requests: { memoryMb: 500 } });
      expect(reasonOf(scheduler.schedule(requestFor(other, 1), s)[0])).toBe('0/1 nodes available: 1 insufficient memory');
      const [d] = scheduler.schedule({ ...requestFor(urgent, 1), placing: ['waiting'] }, s);
      expect(d).toMatchObject({ kind: 'AssignNode', nodeId: 'a' });
    });
  }
});

import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { ManualClock } from '../types/clock.js';
import { silentLogger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import type { ClusterEvent } from './cluster-manager.js';
import { StoreClusterManager } from './store-cluster-manager.js';

const timeouts = { notReadyAfterMs: 15_000, downAfterMs: 40_000, checkEveryMs: 1_000 };
let store: ClusterStore;
let clock: ManualClock;
let manager: StoreClusterManager;
let events: ClusterEvent[];

function node(id: string, lastHeartbeat: string): Node {
  const size = { cpuCores: 2, memoryMb: 2048, diskMb: 1000 };
  return { id, name: id, status: 'Ready', capacity: size, allocatable: size, labels: {}, taints: [], unschedulable: false, lastHeartbeat, createdAt: lastHeartbeat, resourceVersion: '0' };
}

async function heartbeat(id: string, at: string): Promise<void> {
  await store.update(store.nodes, id, (n) => ({ ...n, lastHeartbeat: at }));
  // The memory store delivers watch events in a microtask: by the next turn the manager has seen it.
  await new Promise((r) => setImmediate(r));
}

function nextEvent(): Promise<ClusterEvent> {
  return new Promise((resolve) => {
    const off = manager.subscribeToEvents((e) => {
      off();
      resolve(e);
    });
  });
}

async function startWith(...nodes: Node[]): Promise<void> {
  store = new ClusterStore(new MemoryStateStore());
  clock = new ManualClock(1_000_000);
  for (const n of nodes) await store.commit([store.nodes.create(n)]);
  manager = new StoreClusterManager(store, silentLogger, timeouts, clock);
  events = [];
  manager.subscribeToEvents((e) => events.push(e));
  await manager.initialize();
}

afterEach(async () => {
  await manager?.shutdown();
});

const statuses = () => events.filter((e) => e.type === 'NodeUpdated').map((e) => (e.type === 'NodeUpdated' ? `${e.node.id}:${e.node.status}` : ''));

describe('StoreClusterManager', () => {
  it('marks a silent node NotReady after 15 s and Down after 40 s, from when its heartbeat was seen', async () => {
    // The stored heartbeat is an hour old: a control plane that was itself down must not act on that.
    await startWith(node('n1', '2020-01-01T00:00:00.000Z'));
    expect(events.map((e) => e.type)).toEqual(['NodeAdded']);
    expect((await manager.getNode('n1'))?.status).toBe('Ready');
    clock.advance(14_000);
    expect(statuses()).toEqual(['n1:Ready']);
    clock.advance(1_000);
    expect(statuses()).toEqual(['n1:Ready', 'n1:NotReady']);
    const notReady = await manager.getNode('n1');
    expect(notReady).toMatchObject({ status: 'NotReady', statusReason: 'no heartbeat for 15s' });
    clock.advance(25_000);
    expect(statuses()).toEqual(['n1:Ready', 'n1:NotReady', 'n1:Down']);
    expect((await manager.listNodes()).map((n) => n.status)).toEqual(['Down']);
  });

  it('brings a node back to Ready on a new heartbeat, and keeps a beating node Ready', async () => {
    await startWith(node('n1', 'beat-0'), node('n2', 'beat-0'));
    clock.advance(10_000);
    await heartbeat('n2', 'beat-1');
    clock.advance(10_000);
    await heartbeat('n2', 'beat-2');
    expect((await manager.getNode('n1'))?.status).toBe('NotReady');
    expect((await manager.getNode('n2'))?.status).toBe('Ready');
    events.length = 0;
    await heartbeat('n1', 'beat-1');
    clock.advance(1_000);
    expect(statuses()).toContain('n1:Ready');
    expect((await manager.getNode('n1'))?.status).toBe('Ready');
  });

  it('says nothing about a heartbeat of a node that stays Ready', async () => {
    await startWith(node('n1', 'beat-0'));
    clock.advance(1_000);
    expect(statuses()).toEqual(['n1:Ready']);
    for (let k = 1; k <= 3; k++) {
      await heartbeat('n1', `beat-${k}`);
      clock.advance(5_000);
    }
    expect(statuses()).toEqual(['n1:Ready']);
    expect((await manager.getNode('n1'))?.status).toBe('Ready');
  });

  it('reports a node removed from the store, and stops its timer on shutdown', async () => {
    await startWith(node('n1', 'b'));
    const removed = nextEvent();
    await store.commit([store.nodes.delete('n1')]);
    expect(await removed).toEqual({ type: 'NodeRemoved', nodeId: 'n1' });
    expect(await manager.getNode('n1')).toBeUndefined();
    await manager.shutdown();
    expect(clock.pendingTimers()).toBe(0);
  });
});

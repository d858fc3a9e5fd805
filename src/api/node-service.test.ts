import { beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { OrchestrationError } from '../types/errors.js';
import { NodeService } from './node-service.js';

const reg = { id: 'n1', name: 'n1', capacity: { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 }, labels: { zone: 'a' } };
let store: ClusterStore;
let nodes: NodeService;

beforeEach(() => {
  store = new ClusterStore(new MemoryStateStore());
  nodes = new NodeService(store);
});

describe('NodeService', () => {
  it('registers a Ready node whose allocatable defaults to its capacity, labelled with its name', async () => {
    const n = await nodes.register(reg);
    expect(n).toMatchObject({ id: 'n1', status: 'Ready', unschedulable: false, allocatable: reg.capacity, labels: { zone: 'a', 'orchestrator/node': 'n1' } });
  });

  it('keeps what people set (labels, taints, cordon, drain) when the agent registers again', async () => {
    await nodes.register(reg);
    await nodes.update('n1', { labels: { zone: 'a', owner: 'ops' }, taints: [{ key: 'maintenance', effect: 'NoSchedule' }] });
    await nodes.setSchedulable('n1', false, true);
    const again = await nodes.register({ ...reg, capacity: { cpuCores: 8, memoryMb: 8192, diskMb: 10_000 } });
    expect(again).toMatchObject({ unschedulable: true, draining: true, capacity: { cpuCores: 8 }, labels: { owner: 'ops', zone: 'a' }, taints: [{ key: 'maintenance' }] });
  });

  it('refuses a name another node already has', async () => {
    await nodes.register(reg);
    await expect(nodes.register({ ...reg, id: 'other' })).rejects.toSatisfy((e) => e instanceof OrchestrationError && e.code === 'Conflict');
  });

  it('finds a node by its name, frees the name when the node is removed, and follows a rename', async () => {
    await nodes.register({ ...reg, id: 'id-1', name: 'web-1' });
    expect((await store.requireNode('web-1')).id).toBe('id-1');
    await nodes.register({ ...reg, id: 'id-1', name: 'web-one' });
    expect(await store.resolveNode('web-1')).toBeUndefined();
    expect((await store.requireNode('web-one')).id).toBe('id-1');
    await nodes.remove('web-one');
    await expect(nodes.register({ ...reg, id: 'id-2', name: 'web-one' })).resolves.toMatchObject({ id: 'id-2', name: 'web-one' });
  });

  it('records heartbeats and reports ids it does not know', async () => {
    const first = await nodes.register(reg);
    const res = await nodes.heartbeat(['n1', 'ghost']);
    expect(res).toEqual({ unknown: ['ghost'] });
    expect(Number((await store.requireNode('n1')).resourceVersion)).toBeGreaterThan(Number(first.resourceVersion));
  });

  it('uncordon ends a drain too', async () => {
    await nodes.register(reg);
    await nodes.setSchedulable('n1', false, true);
    const n = await nodes.setSchedulable('n1', true);
    expect(n.unschedulable).toBe(false);
    expect(n.draining).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { SchedulerState } from './cluster-state.js';
import { makeInstance, makeNode, makeWorkload } from './testing/fixtures.js';

const web = makeWorkload('web', { requests: { cpuMillicores: 500, memoryMb: 256 }, hostPorts: [8080] });

function ids(it: Iterable<{ instance: { instanceId: string } }>): string[] {
  return [...it].map((b) => b.instance.instanceId).sort();
}

describe('SchedulerState', () => {
  it('sums the requests and host ports of the instances bound to each node', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    s.upsertNode(makeNode('n2'));
    s.bind(makeInstance('a', web, 'n1'));
    s.bind(makeInstance('b', web, 'n1', { hostPorts: [] }));
    expect(s.node('n1')!.requested).toMatchObject({ cpuMillicores: 1000, memoryMb: 512 });
    expect(s.node('n1')!.hostPorts.get('TCP/8080')).toBe('a');
    expect(s.node('n2')!.requested).toMatchObject({ cpuMillicores: 0, memoryMb: 0 });
    expect(s.nodeCount).toBe(2);
  });

  it('is idempotent: binding the same instance twice counts it once', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    const a = makeInstance('a', web, 'n1');
    s.bind(a);
    s.bind(a);
    expect(s.node('n1')!.requested.cpuMillicores).toBe(500);
    expect(s.node('n1')!.instances.size).toBe(1);
  });

  it('moves an instance rebound to another node', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    s.upsertNode(makeNode('n2'));
    s.bind(makeInstance('a', web, 'n1'));
    s.bind(makeInstance('a', web, 'n2'));
    expect(s.node('n1')!.requested.cpuMillicores).toBe(0);
    expect(s.node('n1')!.hostPorts.size).toBe(0);
    expect(s.node('n2')!.requested.cpuMillicores).toBe(500);
    expect(s.boundNodeOf('a')).toBe('n2');
  });

  it('unbinds idempotently, and unbinding an unknown instance is a no-op', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    s.bind(makeInstance('a', web, 'n1'));
    s.unbind('a');
    s.unbind('a');
    s.unbind('never-seen');
    expect(s.node('n1')!.requested).toMatchObject({ cpuMillicores: 0, memoryMb: 0 });
    expect(s.node('n1')!.instances.size).toBe(0);
  });

  it('treats a terminal or unbound instance as holding nothing', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    s.bind(makeInstance('a', web, 'n1'));
    s.bind(makeInstance('a', web, 'n1', { status: 'Succeeded' }));
    expect(s.node('n1')!.instances.size).toBe(0);
    s.bind(makeInstance('b', web, ''));
    expect(s.boundNodeOf('b')).toBeUndefined();
  });

  it('counts instances bound to a node that arrives later, and keeps them across a node removal', () => {
    const s = new SchedulerState();
    s.bind(makeInstance('a', web, 'n1'));
    expect(s.node('n1')).toBeUndefined();
    s.upsertNode(makeNode('n1'));
    expect(s.node('n1')!.requested.cpuMillicores).toBe(500);
    s.removeNode('n1');
    expect(s.nodeCount).toBe(0);
    s.upsertNode(makeNode('n1'));
    expect(s.node('n1')!.requested.cpuMillicores).toBe(500);
    s.unbind('a');
    expect(s.node('n1')!.requested.cpuMillicores).toBe(0);
  });

  it('keeps a node\'s accounting when the node itself is updated', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1', { memoryMb: 1024 }));
    s.bind(makeInstance('a', web, 'n1'));
    s.upsertNode(makeNode('n1', { memoryMb: 4096, unschedulable: true }));
    expect(s.node('n1')!.node.unschedulable).toBe(true);
    expect(s.node('n1')!.allocatable!.memoryMb).toBe(4096);
    expect(s.node('n1')!.requested.memoryMb).toBe(256);
  });

  it('lists nodes sorted by id and indexes bound instances by label and workload', () => {
    const s = new SchedulerState();
    for (const id of ['n3', 'n1', 'n2']) s.upsertNode(makeNode(id));
    const db = makeWorkload('db', { labels: { app: 'db', tier: 'data' } });
    s.bind(makeInstance('a', web, 'n1'));
    s.bind(makeInstance('b', db, 'n2'));
    s.bind(makeInstance('c', db, 'n9'));
    expect(s.nodeList().map((n) => n.node.id)).toEqual(['n1', 'n2', 'n3']);
    const index = s.instanceIndex();
    expect(ids(index.withLabel('app', 'db'))).toEqual(['b']);
    expect(ids(index.ofWorkload('web'))).toEqual(['a']);
    expect(ids(index.all())).toEqual(['a', 'b']);
    s.unbind('b');
    expect(ids(index.withLabel('tier', 'data'))).toEqual([]);
  });

  it('knows the required anti-affinity of workloads that have bound instances', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1'));
    const lonely = makeWorkload('lonely', { affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: 'lonely' } }, topologyKey: 'node' }] } } });
    s.upsertWorkload(lonely);
    expect([...s.instanceIndex().antiAffinityHolders()]).toEqual([]);
    s.bind(makeInstance('a', lonely, 'n1'));
    expect([...s.instanceIndex().antiAffinityHolders()].map((h) => h.workloadId)).toEqual(['lonely']);
    s.removeWorkload('lonely');
    expect([...s.instanceIndex().antiAffinityHolders()]).toEqual([]);
  });

  it('returns the same node list until a node comes, goes or changes labels', () => {
    const s = new SchedulerState();
    s.upsertNode(makeNode('n1', { labels: { zone: 'a' } }));
    const first = s.nodeList();
    s.upsertNode({ ...makeNode('n1', { labels: { zone: 'a' } }), lastHeartbeat: '2026-01-01T00:01:00.000Z' });
    expect(s.nodeList()).toBe(first);
    s.upsertNode(makeNode('n1', { labels: { zone: 'b' } }));
    const relabelled = s.nodeList();
    expect(relabelled).not.toBe(first);
    s.upsertNode(makeNode('n2'));
    expect(s.nodeList()).not.toBe(relabelled);
    expect(s.nodeList().map((n) => n.node.labels.zone ?? '-')).toEqual(['b', '-']);
  });
});

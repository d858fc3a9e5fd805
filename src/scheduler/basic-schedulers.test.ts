import { describe, expect, it } from 'vitest';
import { SchedulerState } from './cluster-state.js';
import { createScheduler } from './create-scheduler.js';
import { ResourceAwareScheduler } from './resource-aware.js';
import { RoundRobinScheduler } from './round-robin.js';
import { makeInstance, makeNode, makeWorkload, requestFor, type NodeSpec } from './testing/fixtures.js';

function cluster(nodes: Record<string, NodeSpec>): SchedulerState {
  const s = new SchedulerState();
  for (const [id, spec] of Object.entries(nodes)) s.upsertNode(makeNode(id, spec));
  return s;
}

describe('RoundRobinScheduler', () => {
  it('spreads copies over Ready, uncordoned nodes in turn, continuing after existing copies', () => {
    const s = cluster({ a: {}, b: {}, c: { status: 'NotReady' }, d: { unschedulable: true } });
    const w = makeWorkload('web');
    const existing = [makeInstance('i0', w, 'a')];
    const decisions = new RoundRobinScheduler().schedule(requestFor(w, 3, existing), s);
    expect(decisions).toEqual([
      { kind: 'AssignNode', nodeId: 'b' },
      { kind: 'AssignNode', nodeId: 'a' },
      { kind: 'AssignNode', nodeId: 'b' },
    ]);
  });

  it('says why when no node is ready', () => {
    const s = cluster({ a: { status: 'NotReady' }, b: { unschedulable: true } });
    const [d] = new RoundRobinScheduler().schedule(requestFor(makeWorkload('web'), 1), s);
    expect(d).toMatchObject({ kind: 'NoPlacement', reason: '0/2 nodes available: 1 not ready, 1 cordoned' });
  });
});

describe('ResourceAwareScheduler', () => {
  it('never lets the requests on a node exceed its allocatable, counting earlier decisions of the call', () => {
    const s = cluster({ a: { cpu: 2, memoryMb: 1024 }, b: { cpu: 2, memoryMb: 1024 } });
    const w = makeWorkload('web', { requests: { cpuMillicores: 500, memoryMb: 400 } });
    const decisions = new ResourceAwareScheduler().schedule(requestFor(w, 5), s);
    const placed = decisions.filter((d) => d.kind === 'AssignNode').map((d) => (d.kind === 'AssignNode' ? d.nodeId : ''));
    expect(placed.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(decisions[4]).toMatchObject({ kind: 'NoPlacement', reason: '0/2 nodes available: 2 insufficient memory' });
  });

  it('counts what is already bound to each node', () => {
    const s = cluster({ a: { memoryMb: 1024 }, b: { memoryMb: 1024 } });
    const big = makeWorkload('big', { requests: { memoryMb: 800 } });
    s.bind(makeInstance('x', big, 'a'));
    const [d] = new ResourceAwareScheduler().schedule(requestFor(big, 1), s);
    expect(d).toEqual({ kind: 'AssignNode', nodeId: 'b' });
  });

  it('packs onto the tightest fit', () => {
    const s = cluster({ a: { memoryMb: 4096 }, b: { memoryMb: 1024 }, c: { memoryMb: 2048 } });
    const [d] = new ResourceAwareScheduler().schedule(requestFor(makeWorkload('w', { requests: { memoryMb: 900, cpuMillicores: 100 } }), 1), s);
    expect(d).toEqual({ kind: 'AssignNode', nodeId: 'b' });
  });

  it('gives a reason per node: "0/3 nodes available: 2 insufficient memory, 1 not ready"', () => {
    const s = cluster({ a: { memoryMb: 512 }, b: { memoryMb: 512 }, c: { status: 'NotReady' } });
    const [d] = new ResourceAwareScheduler().schedule(requestFor(makeWorkload('w', { requests: { memoryMb: 1024 } }), 1), s);
    expect(d.kind).toBe('NoPlacement');
    if (d.kind !== 'NoPlacement') return;
    expect(d.reason).toBe('0/3 nodes available: 2 insufficient memory, 1 not ready');
    expect(d.rejections).toEqual([
      { nodeId: 'a', filter: 'resources-fit', reason: 'insufficient memory' },
      { nodeId: 'b', filter: 'resources-fit', reason: 'insufficient memory' },
      { nodeId: 'c', filter: 'node-ready', reason: 'not ready' },
    ]);
  });

  it('checks extended resources and host ports', () => {
    const s = cluster({ a: { extended: { gpu: 2 } }, b: {} });
    const gpu = makeWorkload('train', { requests: { extended: { gpu: 1 } }, hostPorts: [9000] });
    const decisions = new ResourceAwareScheduler().schedule(requestFor(gpu, 2), s);
    expect(decisions[0]).toEqual({ kind: 'AssignNode', nodeId: 'a' });
    expect(decisions[1]).toMatchObject({ kind: 'NoPlacement', reason: '0/2 nodes available: 1 host port conflict, 1 insufficient gpu' });
  });
});

describe('createScheduler', () => {
  it('knows the registered names and rejects others', () => {
    expect(createScheduler('round-robin').name).toBe('round-robin');
    expect(createScheduler('resource-aware').name).toBe('resource-aware');
    expect(createScheduler('default')).toBeDefined();
    expect(() => createScheduler('magic')).toThrow(/unknown scheduler "magic"/);
  });
});

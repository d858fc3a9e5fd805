import { describe, expect, it } from 'vitest';
import { DefaultScheduler } from './default-scheduler.js';
import { clusterOf, reasonOf } from './testing/cluster.js';
import { makeInstance, makeWorkload, requestFor } from './testing/fixtures.js';

const scheduler = new DefaultScheduler();

describe('preemption planning', () => {
  it('evicts the fewest lower-priority instances on the node where that makes room', () => {
    const s = clusterOf({ a: { memoryMb: 4096 }, b: { memoryMb: 4096 } });
    const small = makeWorkload('small', { requests: { memoryMb: 1000 }, priority: 0 });
    const big = makeWorkload('big', { requests: { memoryMb: 3000 }, priority: 10 });
    for (const id of ['s1', 's2', 's3', 's4']) s.bind(makeInstance(id, small, 'a'));
    s.bind(makeInstance('b1', big, 'b'));
    const urgent = makeWorkload('urgent', { requests: { memoryMb: 2000 }, priority: 100 });
    const [d] = scheduler.schedule(requestFor(urgent, 1), s);
    expect(d.kind).toBe('NoPlacement');
    expect(reasonOf(d)).toBe('0/2 nodes available: 2 insufficient memory');
    // b needs one eviction (priority 10), a needs two (priority 0): fewest victims first.
    expect(d.kind === 'NoPlacement' && d.preemption).toEqual({ nodeId: 'b', victims: ['b1'] });
  });

  it('prefers lower victim priorities when the number of victims ties, and never evicts equal or higher priority', () => {
    const s = clusterOf({ a: { memoryMb: 2048 }, b: { memoryMb: 2048 }, c: { memoryMb: 2048 } });
    const mk = (name: string, priority: number) => makeWorkload(name, { requests: { memoryMb: 2000 }, priority });
    s.bind(makeInstance('x', mk('p5', 5), 'a'));
    s.bind(makeInstance('y', mk('p1', 1), 'b'));
    s.bind(makeInstance('z', mk('p50', 50), 'c'));
    const [d] = scheduler.schedule(requestFor(mk('p50b', 50), 1), s);
    expect(d.kind === 'NoPlacement' && d.preemption).toEqual({ nodeId: 'b', victims: ['y'] });
    const [none] = scheduler.schedule(requestFor(mk('p0', 0), 1), s);
    expect(none.kind === 'NoPlacement' && none.preemption).toBeUndefined();
  });

  it('keeps back the victims it does not need, and frees host ports', () => {
    const s = clusterOf({ a: { memoryMb: 4096 } });
    const low = makeWorkload('low', { requests: { memoryMb: 500 }, priority: 1 });
    const port = makeWorkload('port', { requests: { memoryMb: 100 }, priority: 0, hostPorts: [80] });
    for (const id of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']) s.bind(makeInstance(id, low, 'a'));
    s.bind(makeInstance('p', port, 'a'));
    const web = makeWorkload('web', { requests: { memoryMb: 600 }, priority: 10, hostPorts: [80] });
    const [d] = scheduler.schedule(requestFor(web, 1), s);
    // 4096 - 7*500 - 100 = 496 free: evicting the port holder frees 100 and the port; one more low instance makes room.
    expect(d.kind === 'NoPlacement' && d.preemption).toEqual({ nodeId: 'a', victims: ['l7', 'p'].sort() });
  });

  it('does not preempt across filters eviction cannot fix', () => {
    const s = clusterOf({ a: { memoryMb: 1024, taints: [{ key: 'k', effect: 'NoSchedule' }] } });
    s.bind(makeInstance('v', makeWorkload('v', { requests: { memoryMb: 1000 } }), 'a'));
    const [d] = scheduler.schedule(requestFor(makeWorkload('hi', { requests: { memoryMb: 1000 }, priority: 9 }), 1), s);
    expect(d.kind === 'NoPlacement' && d.preemption).toBeUndefined();
  });

  it('plans one preemption per call', () => {
    const s = clusterOf({ a: { memoryMb: 1024 } });
    s.bind(makeInstance('v', makeWorkload('v', { requests: { memoryMb: 1000 } }), 'a'));
    const d = scheduler.schedule(requestFor(makeWorkload('hi', { requests: { memoryMb: 1000 }, priority: 9 }), 2), s);
    expect(d.map((x) => x.kind === 'NoPlacement' && x.preemption !== undefined)).toEqual([true, false]);
  });
});

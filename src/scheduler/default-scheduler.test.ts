import { describe, expect, it } from 'vitest';
import { DefaultScheduler } from './default-scheduler.js';
import { makeInstance, makeNode, makeWorkload, requestFor } from './testing/fixtures.js';
import { assigned, clusterOf, reasonOf } from './testing/cluster.js';

const scheduler = new DefaultScheduler();

describe('DefaultScheduler filters', () => {
  it('explains an unschedulable workload with one count per reason', () => {
    const s = clusterOf({
      a: { memoryMb: 512 },
      b: { memoryMb: 512 },
      c: { memoryMb: 512 },
      d: { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] },
      e: { unschedulable: true },
    });
    const [d] = scheduler.schedule(requestFor(makeWorkload('w', { requests: { memoryMb: 1024 } }), 1), s);
    expect(reasonOf(d)).toBe('0/5 nodes available: 3 insufficient memory, 1 node(s) had untolerated taint gpu=true:NoSchedule, 1 cordoned');
  });

  it('never over-commits a node, counting its bound instances and the earlier decisions of the call', () => {
    const s = clusterOf({ a: { cpu: 1 }, b: { cpu: 1 } });
    const w = makeWorkload('w', { requests: { cpuMillicores: 400 } });
    s.bind(makeInstance('x', w, 'a'));
    const decisions = scheduler.schedule(requestFor(w, 4), s);
    expect(assigned(decisions).sort()).toEqual(['a', 'b', 'b']);
    expect(reasonOf(decisions[3])).toBe('0/2 nodes available: 2 insufficient cpu');
  });

  it('checks extended resources a node advertises', () => {
    const s = clusterOf({ plain: {}, gpu: { extended: { gpu: 1 } } });
    const d = scheduler.schedule(requestFor(makeWorkload('t', { requests: { extended: { gpu: 1 } } }), 2), s);
    expect(d[0]).toMatchObject({ kind: 'AssignNode', nodeId: 'gpu' });
    expect(reasonOf(d[1])).toBe('0/2 nodes available: 2 insufficient gpu');
  });

  it('keeps a host port to one instance per node', () => {
    const s = clusterOf({ a: {}, b: {} });
    const d = scheduler.schedule(requestFor(makeWorkload('web', { hostPorts: [80] }), 3), s);
    expect(assigned(d).sort()).toEqual(['a', 'b']);
    expect(reasonOf(d[2])).toBe('0/2 nodes available: 2 host port conflict');
  });

  it('honours nodeSelector, with the node name as the pseudo-label "node"', () => {
    const s = clusterOf({ a: { labels: { disk: 'ssd' } }, b: {}, c: { labels: { disk: 'ssd' } } });
    const ssd = scheduler.schedule(requestFor(makeWorkload('db', { nodeSelector: { disk: 'ssd' } }), 4), s);
    expect(new Set(assigned(ssd))).toEqual(new Set(['a', 'c']));
    const pinned = scheduler.schedule(requestFor(makeWorkload('p', { nodeSelector: { node: 'b' } }), 2), s);
    expect(assigned(pinned)).toEqual(['b', 'b']);
    const none = scheduler.schedule(requestFor(makeWorkload('n', { nodeSelector: { disk: 'nvme' } }), 1), s);
    expect(reasonOf(none[0])).toBe("0/3 nodes available: 3 node(s) didn't match node selector");
  });

  it('applies required node affinity with In, NotIn, Exists, DoesNotExist, Gt and Lt', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1', cores: '8' } }, b: { labels: { zone: 'z2', cores: '32' } }, c: { labels: { zone: 'z3', spot: 'yes' } } });
    const where = (expr: object) =>
      new Set(assigned(scheduler.schedule(requestFor(makeWorkload('w', { affinity: { nodeAffinity: { required: [{ matchExpressions: [expr as never] }] } } }), 6), s)));
    expect(where({ key: 'zone', operator: 'In', values: ['z1', 'z2'] })).toEqual(new Set(['a', 'b']));
    expect(where({ key: 'zone', operator: 'NotIn', values: ['z1'] })).toEqual(new Set(['b', 'c']));
    expect(where({ key: 'spot', operator: 'Exists' })).toEqual(new Set(['c']));
    expect(where({ key: 'spot', operator: 'DoesNotExist' })).toEqual(new Set(['a', 'b']));
    expect(where({ key: 'cores', operator: 'Gt', values: ['16'] })).toEqual(new Set(['b']));
    expect(where({ key: 'cores', operator: 'Lt', values: ['16'] })).toEqual(new Set(['a']));
  });

  it('ORs node selector terms', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z2' } }, c: { labels: { zone: 'z3' } } });
    const w = makeWorkload('w', {
      affinity: { nodeAffinity: { required: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z3'] }] }] } },
    });
    expect(new Set(assigned(scheduler.schedule(requestFor(w, 4), s)))).toEqual(new Set(['a', 'c']));
  });

  it('lets only tolerating instances onto NoSchedule and NoExecute taints', () => {
    const s = clusterOf({ gpu: { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }, evict: { taints: [{ key: 'maint', effect: 'NoExecute' }] } });
    const plain = scheduler.schedule(requestFor(makeWorkload('p'), 1), s);
    expect(reasonOf(plain[0])).toBe('0/2 nodes available: 1 node(s) had untolerated taint maint:NoExecute, 1 node(s) had untolerated taint gpu=true:NoSchedule');
    const tolerant = makeWorkload('t', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] });
    expect(assigned(scheduler.schedule(requestFor(tolerant, 2), s))).toEqual(['gpu', 'gpu']);
    const everything = makeWorkload('e', { tolerations: [{ operator: 'Exists' }] });
    expect(new Set(assigned(scheduler.schedule(requestFor(everything, 4), s)))).toEqual(new Set(['gpu', 'evict']));
    const wrongValue = makeWorkload('v', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'false' }] });
    expect(assigned(scheduler.schedule(requestFor(wrongValue, 1), s))).toEqual([]);
  });

  it('keeps required anti-affinity, per node and per zone, across existing and new copies', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z1' } }, c: { labels: { zone: 'z2' } } });
    const perNode = makeWorkload('cache', { affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'node' }] } } });
    s.bind(makeInstance('c0', perNode, 'a'));
    const d = scheduler.schedule(requestFor(perNode, 3, [makeInstance('c0', perNode, 'a')]), s);
    expect(assigned(d).sort()).toEqual(['b', 'c']);
    expect(reasonOf(d[2])).toBe("0/3 nodes available: 3 node(s) didn't match instance anti-affinity rules");
    const perZone = makeWorkload('zk', { affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: 'zk' } }, topologyKey: 'zone' }] } } });
    const z = scheduler.schedule(requestFor(perZone, 3), s);
    expect(assigned(z).length).toBe(2);
    expect(new Set(assigned(z).map((n) => (n === 'c' ? 'z2' : 'z1')))).toEqual(new Set(['z1', 'z2']));
  });

  it('respects the anti-affinity of instances already running (symmetry)', () => {
    const s = clusterOf({ a: {}, b: {} });
    const loner = makeWorkload('loner', { affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { noisy: 'yes' } }, topologyKey: 'node' }] } } });
    s.upsertWorkload(loner);
    s.bind(makeInstance('l0', loner, 'a'));
    const noisy = makeWorkload('noisy', { labels: { noisy: 'yes' } });
    expect(assigned(scheduler.schedule(requestFor(noisy, 3), s))).toEqual(['b', 'b', 'b']);
  });

  it('co-locates with required affinity, letting the first of a self-affine group go anywhere', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z2' } }, c: { labels: { zone: 'z2' } } });
    const db = makeWorkload('db');
    s.bind(makeInstance('d0', db, 'b'));
    const app = makeWorkload('app', { affinity: { instanceAffinity: { required: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' }] } } });
    expect(new Set(assigned(scheduler.schedule(requestFor(app, 4), s)))).toEqual(new Set(['b', 'c']));
    const group = makeWorkload('grp', { affinity: { instanceAffinity: { required: [{ labelSelector: { matchLabels: { app: 'grp' } }, topologyKey: 'zone' }] } } });
    const g = assigned(scheduler.schedule(requestFor(group, 4), s));
    expect(g.length).toBe(4);
    expect(new Set(g.map((n) => (n === 'a' ? 'z1' : 'z2'))).size).toBe(1);
    const orphan = makeWorkload('orphan', { affinity: { instanceAffinity: { required: [{ labelSelector: { matchLabels: { app: 'nothing' } }, topologyKey: 'zone' }] } } });
    expect(reasonOf(scheduler.schedule(requestFor(orphan, 1), s)[0])).toBe("0/3 nodes available: 3 node(s) didn't match instance affinity rules");
  });

  it('keeps topology spread within maxSkew with DoNotSchedule', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z1' } }, c: { labels: { zone: 'z2' } }, d: {} });
    const w = makeWorkload('web', { topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }], requests: { cpuMillicores: 100 } });
    const d = assigned(scheduler.schedule(requestFor(w, 6), s));
    const zone = (n: string) => (n === 'c' ? 'z2' : 'z1');
    expect(d.filter((n) => zone(n) === 'z1').length).toBe(3);
    expect(d.filter((n) => zone(n) === 'z2').length).toBe(3);
    expect(d).not.toContain('d');
  });

  it('refuses to break spread when the only domain with room is already ahead', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, c: { labels: { zone: 'z2' }, memoryMb: 100 } });
    const w = makeWorkload('web', { topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }], requests: { memoryMb: 200 } });
    const d = scheduler.schedule(requestFor(w, 2), s);
    expect(assigned(d)).toEqual(['a']);
    expect(reasonOf(d[1])).toBe("0/2 nodes available: 1 node(s) didn't match topology spread constraints, 1 insufficient memory");
  });
});

describe('DefaultScheduler scores', () => {
  it('spreads onto the least allocated nodes by default and packs with the binpack policy', () => {
    const s = clusterOf({ a: { cpu: 4 }, b: { cpu: 4 } });
    const filler = makeWorkload('filler', { requests: { cpuMillicores: 2000, memoryMb: 4096 } });
    s.bind(makeInstance('f', filler, 'a'));
    const w = makeWorkload('w', { requests: { cpuMillicores: 500, memoryMb: 512 } });
    expect(assigned(new DefaultScheduler().schedule(requestFor(w, 1), s))).toEqual(['b']);
    expect(assigned(new DefaultScheduler({ resourceStrategy: 'binpack' }).schedule(requestFor(w, 1), s))).toEqual(['a']);
  });

  it('spreads copies of a workload over nodes when nothing else tells them apart', () => {
    const s = clusterOf({ a: {}, b: {}, c: {} });
    expect(assigned(scheduler.schedule(requestFor(makeWorkload('w'), 3), s)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('prefers nodes matching preferred node affinity, and avoids PreferNoSchedule taints', () => {
    const s = clusterOf({ a: {}, b: { labels: { fast: 'yes' } }, c: { taints: [{ key: 'old', effect: 'PreferNoSchedule' }], labels: { fast: 'yes' } } });
    const w = makeWorkload('w', { affinity: { nodeAffinity: { preferred: [{ weight: 50, term: { matchExpressions: [{ key: 'fast', operator: 'Exists' }] } }] } } });
    expect(assigned(scheduler.schedule(requestFor(w, 1), s))).toEqual(['b']);
  });

  it('prefers domains with instances it has preferred affinity to', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z2' } } });
    const db = makeWorkload('db');
    s.bind(makeInstance('d0', db, 'b'));
    const w = makeWorkload('app', { affinity: { instanceAffinity: { preferred: [{ weight: 100, term: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' } }] } } });
    expect(assigned(scheduler.schedule(requestFor(w, 1), s))).toEqual(['b']);
  });

  it('gives the same placement for the same input, whatever order nodes were added in', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    const build = (order: string[]) => clusterOf(Object.fromEntries(order.map((id, i) => [id, { labels: { zone: `z${i % 3}` } }])));
    const w = makeWorkload('w', { requests: { cpuMillicores: 300 }, topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }] });
    const first = scheduler.schedule(requestFor(w, 50), build(ids));
    const again = scheduler.schedule(requestFor(w, 50), build(ids));
    expect(again).toEqual(first);
  });
});

describe('DefaultScheduler required affinity per node', () => {
  it('puts a self-affine group on one node, the first copy choosing it', () => {
    const s = clusterOf({ a: {}, b: {}, c: {} });
    const w = makeWorkload('pair', { affinity: { instanceAffinity: { required: [{ labelSelector: { matchLabels: { app: 'pair' } }, topologyKey: 'node' }] } } });
    for (const options of [{}, { search: 'scan' as const }]) {
      const d = assigned(new DefaultScheduler(options).schedule(requestFor(w, 3), s));
      expect(d.length).toBe(3);
      expect(new Set(d).size).toBe(1);
    }
  });
});

describe('DefaultScheduler across calls', () => {
  it('sees a node\'s new labels in the next call', () => {
    const s = clusterOf({ a: { labels: { zone: 'z1' } }, b: { labels: { zone: 'z2' } } });
    const scheduler = new DefaultScheduler();
    const w = makeWorkload('zk', { affinity: { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: 'zk' } }, topologyKey: 'zone' }] } } });
    const [first] = scheduler.schedule(requestFor(w, 1), s);
    expect(first).toMatchObject({ kind: 'AssignNode' });
    const taken = first.kind === 'AssignNode' ? first.nodeId : '';
    s.bind(makeInstance('z0', w, taken));
    const other = taken === 'a' ? 'b' : 'a';
    s.upsertNode(makeNode(other, { labels: { zone: taken === 'a' ? 'z1' : 'z2' } }));
    const [second] = scheduler.schedule(requestFor(w, 1, [makeInstance('z0', w, taken)]), s);
    expect(reasonOf(second)).toBe("0/2 nodes available: 2 node(s) didn't match instance anti-affinity rules");
  });
});

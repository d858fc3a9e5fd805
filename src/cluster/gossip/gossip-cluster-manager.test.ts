import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../types/clock.js';
import type { ClusterEvent } from '../cluster-manager.js';
import { GossipClusterManager } from './gossip-cluster-manager.js';
import { MemoryNetwork } from './memory-network.js';
import { seededRandom } from './random.js';
import type { Transport } from './transport.js';

/** Managers on one in-memory network and one ManualClock. */
function harness() {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const network = new MemoryNetwork({ clock, random: seededRandom(11), latencyMs: 1 });
  const managers: GossipClusterManager[] = [];
  const transports = new Map<string, Transport>();
  const events = new Map<string, ClusterEvent[]>();
  let seed = 100;
  const flush = () => new Promise<void>((r) => setImmediate(r));
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      await flush();
    }
  };
  const start = async (name: string, opts: Partial<ConstructorParameters<typeof GossipClusterManager>[0]> = {}) => {
    const transport = network.attach(name);
    transports.set(name, transport);
    const m = new GossipClusterManager({ name, transport, clock, random: seededRandom(seed++), seeds: name === 'n0' ? [] : ['n0'], ...opts });
    events.set(name, []);
    m.subscribeToEvents((e) => events.get(name)!.push(e));
    managers.push(m);
    const init = m.initialize();
    await run(100);
    await init;
    return m;
  };
  return { clock, network, managers, transports, events, run, start };
}

describe('GossipClusterManager (in-memory, simulated time)', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => {
    const stopping = Promise.all(h.managers.map((m) => m.shutdown()));
    await h.run(3_000);
    await stopping;
  });

  it('lists every member as a Ready node with the labels, capacity and address it announced', async () => {
    h = harness();
    const a = await h.start('n0', { metadata: { labels: { zone: 'a' }, capacity: { cpuCores: 4, memoryMb: 8192, diskMb: 100_000 }, address: 'http://10.0.0.1:7070', runtime: 'oci' } });
    await h.start('n1', { metadata: { labels: { zone: 'b' } } });
    await h.start('n2');
    await h.run(3_000);
    const nodes = await a.listNodes();
    expect(nodes.map((n) => n.id).sort()).toEqual(['n0', 'n1', 'n2']);
    expect(nodes.every((n) => n.status === 'Ready')).toBe(true);
    const viewFromN2 = await h.managers[2].getNode('n0');
    expect(viewFromN2).toMatchObject({ id: 'n0', status: 'Ready', labels: { zone: 'a' }, capacity: { cpuCores: 4, memoryMb: 8192 }, address: 'http://10.0.0.1:7070', runtime: 'oci' });
    expect(h.events.get('n2')!.filter((e) => e.type === 'NodeAdded').map((e) => (e as { node: { id: string } }).node.id).sort()).toEqual(['n0', 'n1', 'n2']);
  });

  it('turns a crashed member into NotReady, then Down, on the others', async () => {
    h = harness();
    await h.start('n0');
    await h.start('n1');
    await h.start('n2');
    await h.start('n3');
    await h.run(3_000);
    await h.transports.get('n3')!.close(); // the process is gone: no leave, no more packets
    await h.run(15_000);
    for (const observer of ['n0', 'n1', 'n2']) {
      const statuses = h.events
        .get(observer)!
        .filter((e): e is Extract<ClusterEvent, { type: 'NodeUpdated' }> => e.type === 'NodeUpdated' && e.node.id === 'n3')
        .map((e) => e.node.status);
      expect(statuses).toContain('Down');
      expect(statuses.indexOf('NotReady')).toBeLessThan(statuses.indexOf('Down'));
      expect((await h.managers[0].getNode('n3'))?.status).toBe('Down');
    }
  });

  it('forgets a node Down for longer than reapAfterMs, with NodeRemoved', async () => {
    h = harness();
    const config = { reapAfterMs: 20_000, reconnectIntervalMs: 5_000 };
    const a = await h.start('n0', { config });
    await h.start('n1', { config });
    await h.start('n2', { config });
    await h.run(3_000);
    await h.transports.get('n2')!.close();
    await h.run(15_000);
    expect((await a.getNode('n2'))?.status).toBe('Down');
    await h.run(30_000);
    expect(await a.getNode('n2')).toBeUndefined();
    expect(h.events.get('n0')).toContainEqual({ type: 'NodeRemoved', nodeId: 'n2' });
  });

  it('reports NodeRemoved when a member shuts down gracefully', async () => {
    h = harness();
    await h.start('n0');
    await h.start('n1');
    const leaving = await h.start('n2');
    await h.run(3_000);
    const stopped = leaving.shutdown();
    await h.run(3_000);
    await stopped;
    expect(h.events.get('n0')).toContainEqual({ type: 'NodeRemoved', nodeId: 'n2' });
    expect(await h.managers[0].getNode('n2')).toBeUndefined();
    expect(h.events.get('n0')!.some((e) => e.type === 'NodeUpdated' && e.node.id === 'n2' && e.node.status === 'Down')).toBe(false);
  });

  it('carries metadata updates as NodeUpdated', async () => {
    h = harness();
    await h.start('n0');
    const b = await h.start('n1', { metadata: { labels: { disk: 'hdd' } } });
    await h.run(2_000);
    b.updateMetadata({ labels: { disk: 'ssd' } });
    await h.run(2_000);
    expect((await h.managers[0].getNode('n1'))?.labels).toEqual({ disk: 'ssd' });
    expect(h.events.get('n0')!.some((e) => e.type === 'NodeUpdated' && e.node.id === 'n1' && e.node.labels.disk === 'ssd')).toBe(true);
  });

  it('keeps control-plane replicas out of the node list but in the membership', async () => {
    h = harness();
    const cp = await h.start('n0', { metadata: { role: 'control-plane' } });
    await h.start('n1');
    await h.run(2_000);
    expect((await cp.listNodes()).map((n) => n.id)).toEqual(['n1']);
    expect(cp.members().map((m) => m.name).sort()).toEqual(['n0', 'n1']);
  });

  it('joins once a seed that was down comes up', async () => {
    h = harness();
    const early = await h.start('n1', { seeds: ['n0'], rejoinIntervalMs: 1_000 });
    expect(await early.listNodes()).toHaveLength(1);
    await h.start('n0');
    await h.run(3_000);
    expect((await early.listNodes()).map((n) => n.id).sort()).toEqual(['n0', 'n1']);
  });

  it('refuses metadata larger than the gossip cap', async () => {
    h = harness();
    const m = new GossipClusterManager({ name: 'big', transport: h.network.attach('big'), clock: h.clock, metadata: { labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label-${i}`, 'x'.repeat(20)])) } });
    await expect(m.initialize()).rejects.toMatchObject({ code: 'TooLarge' });
  });
});

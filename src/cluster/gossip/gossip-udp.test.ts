import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../cluster-manager.js';
import type { GossipConfig } from './config.js';
import { GossipClusterManager } from './gossip-cluster-manager.js';
import { UdpTransport } from './udp-transport.js';

/** Fast timings so real-time UDP runs finish in a few seconds; the protocol is the LAN one otherwise. */
const FAST: Partial<GossipConfig> = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100, // generous for loopback, so a busy CI machine does not fake a failure
  gossipIntervalMs: 50,
  suspicionMult: 4,
  pushPullIntervalMs: 1_000,
  reconnectIntervalMs: 1_000,
  leaveTimeoutMs: 500,
  streamTimeoutMs: 1_000,
};

interface Started {
  manager: GossipClusterManager;
  transport: UdpTransport;
  events: ClusterEvent[];
}

/** Resolves when `check()` holds, re-checking on every cluster event of `m`; rejects after `ms`. */
function waitFor(m: GossipClusterManager, check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (err) reject(err);
      else resolve();
    };
    const test = () => void check().then((ok) => ok && finish(), finish);
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), ms);
    const unsubscribe = m.subscribeToEvents(test);
    test();
  });
}

describe('GossipClusterManager on real UDP (127.0.0.1)', () => {
  const started: Started[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map(async (s) => (await s.manager.shutdown(), await s.transport.close())));
  });

  async function start(name: string, seeds: string[]): Promise<Started> {
    const transport = await UdpTransport.create({ bindAddr: '127.0.0.1:0' });
    const events: ClusterEvent[] = [];
    const manager = new GossipClusterManager({ name, transport, seeds, profile: 'lan', config: FAST, metadata: { labels: { name } } });
    manager.subscribeToEvents((e) => events.push(e));
    await manager.initialize();
    const s = { manager, transport, events };
    started.push(s);
    return s;
  }

  it('four members find each other, see a crash as Down and a leave as NodeRemoved', async () => {
    const a = await start('a', []);
    const seed = [a.transport.address];
    const [b, c, d] = [await start('b', seed), await start('c', seed), await start('d', seed)];
    const everyoneReady = async (s: Started, n: number) => (await s.manager.listNodes()).filter((x) => x.status === 'Ready').length === n;
    await Promise.all([a, b, c, d].map((s) => waitFor(s.manager, () => everyoneReady(s, 4), 10_000, `${s.manager.address} to see 4 Ready`)));
    expect((await d.manager.getNode('a'))?.labels).toEqual({ name: 'a' });

    await c.transport.close(); // crash: the sockets vanish without a leave
    await Promise.all(
      [a, b, d].map((s) => waitFor(s.manager, async () => (await s.manager.getNode('c'))?.status === 'Down', 15_000, 'c to be Down')),
    );
    expect(a.events.some((e) => e.type === 'NodeUpdated' && e.node.id === 'c' && e.node.status === 'NotReady')).toBe(true);

    await d.manager.shutdown();
    await Promise.all([a, b].map((s) => waitFor(s.manager, async () => (await s.manager.getNode('d')) === undefined, 10_000, 'd to be removed')));
    expect(a.events).toContainEqual({ type: 'NodeRemoved', nodeId: 'd' });
    expect(a.events.some((e) => e.type === 'NodeUpdated' && e.node.id === 'd' && e.node.status === 'Down')).toBe(false);
  });
});

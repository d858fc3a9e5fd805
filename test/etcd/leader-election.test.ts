import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElectorProcess } from '../../bench/_elector-process.js';
import { EtcdLeaderElector } from '../../src/cluster/leader/etcd-leader-elector.js';
import type { LeaderElector } from '../../src/cluster/leader/leader-elector.js';
import { EtcdStateStore } from '../../src/store/etcd-store.js';
import { EtcdCluster, etcdSkip } from '../support/etcd.js';

const skip = etcdSkip('etcd leader election');
const TTL = 2;

describe.skipIf(skip)('leader election on etcd', () => {
  let cluster: EtcdCluster;
  let n = 0;
  let url = '';
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A replica: its own store client and elector, in this process, in this test's key prefix. */
  async function replica(id: string): Promise<{ store: EtcdStateStore; elector: EtcdLeaderElector }> {
    const store = await EtcdStateStore.open(url);
    const elector = new EtcdLeaderElector(store, { id, address: `http://${id}.test:8080`, ttlSeconds: TTL });
    cleanups.push(async () => {
      await elector.stop();
      await store.close();
    });
    return { store, elector };
  }

  function becomesLeader(elector: LeaderElector): Promise<void> {
    if (elector.isLeader()) return Promise.resolve();
    return new Promise((resolve) => {
      const off = elector.onChange((isLeader) => {
        if (isLeader) {
          off();
          resolve();
        }
      });
    });
  }

  // A fresh prefix per test: no leader key left over from the one before.
  const fresh = () => (url = cluster.url(`/election-${++n}`));

  it('elects exactly one of two replicas, and both know who leads', async () => {
    fresh();
    const a = await replica('a');
    const b = await replica('b');
    await a.elector.start();
    await b.elector.start();
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    const leader = a.elector.isLeader() ? 'a' : 'b';
    expect(a.elector.leaderInfo()?.id).toBe(leader);
    expect(b.elector.leaderInfo()).toMatchObject({ id: leader, address: `http://${leader}.test:8080` });
    expect((await a.elector.replicas()).map((r) => r.id).sort()).toEqual(['a', 'b']);
  });

  it('hands leadership over at once when the leader resigns', async () => {
    fresh();
    const a = await replica('a');
    const b = await replica('b');
    await a.elector.start();
    await b.elector.start();
    expect(a.elector.isLeader()).toBe(true);
    const takeover = becomesLeader(b.elector);
    await a.elector.stop();
    await takeover;
    expect(b.elector.leaderInfo()?.id).toBe('b');
    expect((await b.elector.replicas()).map((r) => r.id)).toEqual(['b']);
  });

  it('fails the guarded commit of a deposed leader', async () => {
    fresh();
    const a = await replica('a');
    const b = await replica('b');
    await a.elector.start();
    await b.elector.start();
    const staleGuard = a.elector.guard();
    expect((await a.store.commit([staleGuard, { op: 'put', key: '/registry/x', value: 'a while leader' }])).ok).toBe(true);
    // Depose a behind its back: its lease goes away in etcd, as if it had expired during a pause.
    const takeover = becomesLeader(b.elector);
    await a.store.revokeLease((a.elector as unknown as { lease: { id: string } }).lease.id);
    await takeover;
    const late = await a.store.commit([staleGuard, { op: 'put', key: '/registry/x', value: 'a after deposed' }]);
    expect(late.ok).toBe(false);
    expect((await b.store.get('/registry/x'))?.value).toBe('a while leader');
    expect((await b.store.commit([b.elector.guard(), { op: 'put', key: '/registry/x', value: 'b' }])).ok).toBe(true);
  });

  it('steps the leader down at once when its election key is deleted by hand, then elects again', async () => {
    fresh();
    const a = await replica('a');
    const b = await replica('b');
    await a.elector.start();
    await b.elector.start();
    const [leader, other] = a.elector.isLeader() ? [a, b] : [b, a];
    const down = new Promise<void>((resolve) => leader.elector.onChange((isLeader) => !isLeader && resolve()));
    const someoneLeads = new Promise<void>((resolve) => {
      for (const r of [a, b]) r.elector.onChange((isLeader) => isLeader && resolve());
    });
    await other.store.commit([{ op: 'delete', key: '/registry/leader' }]);
    await down;
    await someoneLeads;
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('refuses writes through the guard of a replica that is not leader', async () => {
    fresh();
    const a = await replica('a');
    const b = await replica('b');
    await a.elector.start();
    await b.elector.start();
    const follower = a.elector.isLeader() ? b : a;
    expect((await follower.store.commit([follower.elector.guard(), { op: 'put', key: '/registry/y', value: 'no' }])).ok).toBe(false);
    expect(await follower.store.get('/registry/y')).toBeUndefined();
  });

  it('elects another replica after the leader process is killed with SIGKILL, once its lease has expired', async () => {
    fresh();
    const child = ElectorProcess.spawn(url, 'child', TTL);
    cleanups.push(() => child.stop());
    await child.waitFor((l) => l.event === 'wrote');
    const b = await replica('b');
    await b.elector.start();
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leaderInfo()?.id).toBe('child');

    const takeover = becomesLeader(b.elector);
    const killedAt = await child.kill9();
    await takeover;
    const elapsed = Date.now() - killedAt;
    // Not before the old lease could have expired (minus the renewal interval), and not long after it did.
    expect(elapsed).toBeGreaterThan(TTL * 1000 * 0.5);
    expect(elapsed).toBeLessThan(TTL * 1000 * 3);
    expect((await b.store.commit([b.elector.guard(), { op: 'put', key: '/bench/leader-writes', value: 'b' }])).ok).toBe(true);
  });

  it('keeps a leader that was frozen past its lease from writing once it wakes up', async () => {
    fresh();
    const child = ElectorProcess.spawn(url, 'frozen', TTL);
    cleanups.push(() => child.stop());
    await child.waitFor((l) => l.event === 'wrote');
    const b = await replica('b');
    await b.elector.start();
    expect(b.elector.leaderInfo()?.id).toBe('frozen');

    const takeover = becomesLeader(b.elector);
    child.pause();
    await takeover;
    const mine = await b.store.commit([b.elector.guard(), { op: 'put', key: '/bench/leader-writes', value: 'b' }]);
    if (!mine.ok) throw new Error('new leader could not write');
    const linesBefore = child.lines.length;
    child.resume();

    // The child notices it no longer leads; whatever it tried meanwhile did not land.
    await child.waitFor((l) => l.event === 'follower' && child.lines.indexOf(l) >= linesBefore);
    const after = child.lines.slice(linesBefore);
    expect(after.filter((l) => l.event === 'wrote')).toEqual([]);
    expect(await b.store.get('/bench/leader-writes')).toMatchObject({ value: 'b', modRevision: mine.revision });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdLeaderElector } from '../../src/cluster/leader/etcd-leader-elector.js';
import { EtcdStateStore } from '../../src/store/etcd-store.js';
import type { WatchEvent } from '../../src/store/state-store.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { EtcdCluster, etcdSkip } from '../support/etcd.js';

const skip = etcdSkip('etcd degraded mode (3 members)');

/** What the API does with the store while etcd loses members: these are the answers it gets. */
describe.skipIf(skip)('EtcdStateStore on a 3-member etcd losing members', () => {
  let cluster: EtcdCluster;
  let store: EtcdStateStore;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ members: 3 });
    store = await EtcdStateStore.open(`${cluster.url("/degraded")}?timeout=6000`);
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('keeps reading, writing and watching while any one member is down', async () => {
    // A watch open through all three kills: it must see every write once, in order, with no error.
    const seen: string[] = [];
    let watchError: Error | undefined;
    let sawEnd!: () => void;
    const endSeen = new Promise<void>((resolve) => (sawEnd = resolve));
    const longWatch = store.watch('/one-down/', undefined, {
      onEvents: (events) => {
        seen.push(...events.map((e) => e.key));
        if (seen.includes('/one-down/end')) sawEnd();
      },
      onError: (e) => (watchError = e),
    });
    for (let down = 0; down < 3; down++) {
      await cluster.kill(down);
      const watched = new Promise<WatchEvent[]>((resolve, reject) => {
        const w = store.watch(`/one-down/${down}/`, undefined, { onEvents: (events) => (w.close(), resolve(events)), onError: reject });
      });
      for (let i = 0; i < 10; i++) {
        const res = await store.commit([{ op: 'put', key: `/one-down/${down}/${i}`, value: String(i) }]);
        expect(res.ok).toBe(true);
        expect((await store.get(`/one-down/${down}/${i}`))?.value).toBe(String(i));
      }
      expect(await store.healthy()).toBe(true);
      expect((await watched)[0].key).toBe(`/one-down/${down}/0`);
      await cluster.restart(down);
      await cluster.waitHealthy();
    }
    const all = (await store.list('/one-down/')).items;
    expect(all).toHaveLength(30);
    expect((await store.commit([{ op: 'put', key: '/one-down/end', value: 'end' }])).ok).toBe(true);
    await endSeen;
    longWatch.close();
    expect(watchError).toBeUndefined();
    const expected = [0, 1, 2].flatMap((d) => Array.from({ length: 10 }, (_, i) => `/one-down/${d}/${i}`));
    expect(seen).toEqual([...expected, '/one-down/end']);
  });

  it('fails fast with Unavailable without quorum, ends watches, and resumes everything when members return', async () => {
    const before = await store.commit([{ op: 'put', key: '/q/before', value: '1' }]);
    if (!before.ok) throw new Error('setup');
    let lastSeen = before.revision;
    const watchEnded = new Promise<Error>((resolve) => {
      store.watch('/q/', before.revision, {
        onEvents: (_events, rev) => (lastSeen = rev),
        onError: resolve,
      });
    });

    await cluster.kill(1);
    await cluster.kill(2);
    // The API polls this for /health; it turns false once the last member knows it has no quorum.
    let healthy = true;
    for (let i = 0; i < 10 && healthy; i++) healthy = await store.healthy();
    expect(healthy).toBe(false);

    const err = await store.commit([{ op: 'put', key: '/q/during', value: 'x' }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOrchestrationError(err, 'Unavailable')).toBe(true);
    await expect(store.get('/q/before')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(isOrchestrationError(await watchEnded, 'Unavailable')).toBe(true);

    await cluster.restart(1);
    await cluster.restart(2);
    await cluster.waitHealthy();

    // The watcher restarts from the last revision it saw and misses nothing.
    const resumed = new Promise<WatchEvent[]>((resolve, reject) => {
      const w = store.watch('/q/', lastSeen, {
        onEvents: (events) => {
          w.close();
          resolve(events);
        },
        onError: reject,
      });
    });
    const after = await store.commit([{ op: 'put', key: '/q/after', value: '2' }]);
    expect(after.ok).toBe(true);
    expect((await resumed).map((e) => e.key)).toEqual(['/q/after']);
    expect(await store.healthy()).toBe(true);
    expect((await store.list('/q/')).items.map((kv) => kv.key)).toEqual(['/q/after', '/q/before']);
  });

  it('makes the leader stop acting when etcd loses quorum, and never has two leaders at once', async () => {
    const url = `${cluster.url('/degraded-election')}?timeout=3000`;
    const stores = [await EtcdStateStore.open(url), await EtcdStateStore.open(url)];
    const electors = stores.map((s, i) => new EtcdLeaderElector(s, { id: `r${i}`, address: `r${i}`, ttlSeconds: 2, retryMs: 200 }));
    const leading = new Set<string>();
    let mostAtOnce = 0;
    const changes: string[] = [];
    for (const e of electors) {
      e.onChange((isLeader) => {
        if (isLeader) leading.add(e.id);
        else leading.delete(e.id);
        mostAtOnce = Math.max(mostAtOnce, leading.size);
        changes.push(`${e.id}:${isLeader ? 'leads' : 'not leading'}`);
      });
    }
    const leaderAgain = () =>
      new Promise<void>((resolve) => {
        const offs = electors.map((e) => e.onChange((isLeader) => isLeader && (offs.forEach((off) => off()), resolve())));
      });
    try {
      for (const e of electors) await e.start();
      const leader = electors.find((e) => e.isLeader())!;
      expect(leader).toBeDefined();
      const stepsDown = new Promise<void>((resolve) => leader.onChange((isLeader) => !isLeader && resolve()));

      await cluster.kill(1);
      await cluster.kill(2);
      await stepsDown;
      expect(electors.some((e) => e.isLeader())).toBe(false);
      expect((await stores[0].commit([leader.guard(), { op: 'put', key: '/x', value: 'x' }]).catch(() => ({ ok: false }))).ok).toBe(false);

      const again = leaderAgain();
      await cluster.restart(1);
      await cluster.restart(2);
      await cluster.waitHealthy();
      await again;
      expect(electors.filter((e) => e.isLeader())).toHaveLength(1);
      expect(mostAtOnce).toBe(1);
    } finally {
      for (const e of electors) await e.stop();
      for (const s of stores) await s.close();
    }
  });
});

describe.skipIf(skip)('EtcdStateStore when its only etcd member is down', () => {
  it('fails with Unavailable while etcd is unreachable and carries on when it is back', async () => {
    const cluster = await EtcdCluster.start({ members: 1 });
    const store = await EtcdStateStore.open(`${cluster.url('/down')}?timeout=2000`);
    try {
      expect((await store.commit([{ op: 'put', key: '/k', value: 'before' }])).ok).toBe(true);
      const ended = new Promise<Error>((resolve) => store.watch('/', undefined, { onEvents: () => {}, onError: resolve }));
      await cluster.kill(0);
      await expect(store.get('/k')).rejects.toMatchObject({ code: 'Unavailable' });
      await expect(store.commit([{ op: 'put', key: '/k', value: 'during' }])).rejects.toMatchObject({ code: 'Unavailable' });
      expect(await store.healthy()).toBe(false);
      expect(await ended).toMatchObject({ code: 'Unavailable' });
      await cluster.restart(0);
      await cluster.waitHealthy();
      expect((await store.get('/k'))?.value).toBe('before');
      expect((await store.commit([{ op: 'put', key: '/k', value: 'after' }])).ok).toBe(true);
      expect(await store.healthy()).toBe(true);
    } finally {
      await store.close();
      await cluster.stop();
    }
  });
});

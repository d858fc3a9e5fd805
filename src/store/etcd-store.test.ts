import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateStoreContract } from '../../test/contracts/state-store.contract.js';
import { EtcdCluster, etcdSkip } from '../../test/support/etcd.js';
import { isOrchestrationError } from '../types/errors.js';
import { EtcdStateStore } from './etcd-store.js';
import { parseEtcdUrl } from './etcd-url.js';
import type { WatchEvent } from './state-store.js';

const skip = etcdSkip('etcd state store');
let cluster: EtcdCluster | undefined;
let n = 0;

describe.skipIf(skip)('EtcdStateStore on a real etcd', () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Each test gets its own key prefix in the one etcd: a fresh, empty store.
  stateStoreContract('etcd', () => EtcdStateStore.open(cluster!.url(`/contract-${++n}`)));

  it('keeps clusters that share one etcd apart by key prefix', async () => {
    const a = await EtcdStateStore.open(cluster!.url('/iso/a'));
    const b = await EtcdStateStore.open(cluster!.url('/iso/b'));
    try {
      await a.commit([{ op: 'put', key: '/registry/x', value: 'from a' }]);
      expect(await b.get('/registry/x')).toBeUndefined();
      expect((await b.list('/')).items).toEqual([]);
      expect((await a.list('/')).items.map((kv) => kv.key)).toEqual(['/registry/x']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('watches "from now on" on a store made with new, before it has talked to etcd', async () => {
    const writer = await EtcdStateStore.open(cluster!.url('/fresh'));
    await writer.commit([{ op: 'put', key: '/f/old', value: 'history' }]);
    const store = new EtcdStateStore(parseEtcdUrl(cluster!.url('/fresh')));
    try {
      let first: string[] | undefined;
      const w = store.watch('/f/', undefined, { onEvents: (events) => (first ??= events.map((e) => e.key)) });
      // Write until the watch reports something: whatever it reports first is new, never the history.
      for (let i = 0; i < 500 && !first; i++) await writer.commit([{ op: 'put', key: `/f/new-${i}`, value: 'now' }]);
      w.close();
      expect(first?.[0]).toMatch(/^\/f\/new-/);
    } finally {
      await store.close();
      await writer.close();
    }
  });

  it('takes a commit that writes one key twice, keeping the last write as the other stores do', async () => {
    const store = await EtcdStateStore.open(cluster!.url('/twice'));
    try {
      const res = await store.commit([
        { op: 'put', key: '/k', value: 'first' },
        { op: 'put', key: '/k', value: 'second' },
        { op: 'put', key: '/gone', value: 'x' },
        { op: 'delete', key: '/gone' },
      ]);
      expect(res.ok).toBe(true);
      expect((await store.get('/k'))?.value).toBe('second');
      expect(await store.get('/gone')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('lists more keys than one range page, all at one revision', async () => {
    const store = await EtcdStateStore.open(cluster!.url('/paging'));
    try {
      const ops = Array.from({ length: 1_200 }, (_, i) => ({ op: 'put' as const, key: `/big/${String(i).padStart(5, '0')}`, value: String(i) }));
      for (let i = 0; i < ops.length; i += 100) await store.commit(ops.slice(i, i + 100));
      const all = await store.list('/big/');
      expect(all.items).toHaveLength(1_200);
      expect(all.more).toBe(false);
      const page = await store.list('/big/', { limit: 1_100, after: '/big/00050' });
      expect(page.items[0].key).toBe('/big/00051');
      expect(page.items).toHaveLength(1_100);
      expect(page.more).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('tells a watcher Gone when its start revision was compacted', async () => {
    const store = await EtcdStateStore.open(cluster!.url('/compact'));
    try {
      const first = await store.commit([{ op: 'put', key: '/c/a', value: '1' }]);
      await store.commit([{ op: 'put', key: '/c/a', value: '2' }]);
      const third = await store.commit([{ op: 'put', key: '/c/a', value: '3' }]);
      if (!first.ok || !third.ok) throw new Error('setup');
      await compact(third.revision);
      const err = await new Promise<Error>((resolve) => {
        store.watch('/c/', first.revision, { onEvents: () => resolve(new Error('got events')), onError: resolve });
      });
      expect(isOrchestrationError(err, 'Gone')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('delivers the events of one commit together, with one revision', async () => {
    const store = await EtcdStateStore.open(cluster!.url('/batch'));
    try {
      const got = new Promise<[WatchEvent[], number]>((resolve) => {
        const w = store.watch('/b/', undefined, {
          onEvents: (events, rev) => {
            w.close();
            resolve([events, rev]);
          },
        });
      });
      const res = await store.commit([
        { op: 'put', key: '/b/1', value: 'x' },
        { op: 'put', key: '/b/2', value: 'y' },
        { op: 'put', key: '/elsewhere', value: 'z' },
      ]);
      const [events, rev] = await got;
      expect(res.ok && res.revision).toBe(rev);
      expect(events.map((e) => e.key)).toEqual(['/b/1', '/b/2']);
    } finally {
      await store.close();
    }
  });

  it('fails calls with Unavailable once closed, and ends open watches with onError', async () => {
    const store = await EtcdStateStore.open(cluster!.url('/closing'));
    const ended = new Promise<Error>((resolve) => store.watch('/', undefined, { onEvents: () => {}, onError: resolve }));
    await store.close();
    expect(isOrchestrationError(await ended, 'Unavailable')).toBe(true);
    await expect(store.get('/x')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(await store.healthy()).toBe(false);
  });

  async function compact(revision: number): Promise<void> {
    const admin = new EtcdStateStore(parseEtcdUrl(cluster!.url()));
    try {
      // Compaction is an operator's act, not a StateStore one: reach the raw client for it.
      await (admin as unknown as { client: { kv: { compact(r: { revision: number; physical: boolean }): Promise<unknown> } } }).client.kv.compact({ revision, physical: true });
    } finally {
      await admin.close();
    }
  }
});

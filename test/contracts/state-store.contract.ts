import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore, WatchEvent } from '../../src/store/state-store.js';

/**
 * The behaviour every StateStore must have. Each implementation's test file calls this with a
 * factory; a store passes when all of it passes.
 */
export function stateStoreContract(name: string, open: () => Promise<StateStore>, cleanup?: () => Promise<void>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    function nextEvents(prefix: string, after: number | undefined, count: number): Promise<WatchEvent[]> {
      return new Promise((resolve, reject) => {
        const got: WatchEvent[] = [];
        const timer = setTimeout(() => reject(new Error(`timed out with ${got.length}/${count} events`)), 5000);
        const w = store.watch(prefix, after, {
          onEvents(events) {
            got.push(...events);
            if (got.length >= count) {
              clearTimeout(timer);
              w.close();
              resolve(got);
            }
          },
          onError(err) {
            clearTimeout(timer);
            reject(err);
          },
        });
      });
    }

    it('returns nothing for a key never written', async () => {
      expect(await store.get('/t/missing')).toBeUndefined();
    });

    it('stores a value and stamps it with the commit revision', async () => {
      const before = await store.revision();
      const res = await store.commit([{ op: 'put', key: '/t/a', value: 'one' }]);
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      expect(res.revision).toBeGreaterThan(before);
      const kv = await store.get('/t/a');
      expect(kv).toMatchObject({ key: '/t/a', value: 'one', createRevision: res.revision, modRevision: res.revision });
      expect(await store.revision()).toBe(res.revision);
    });

    it('gives every key of one commit the same revision and keeps createRevision on update', async () => {
      const first = await store.commit([{ op: 'put', key: '/t/a', value: '1' }]);
      const both = await store.commit([
        { op: 'put', key: '/t/a', value: '2' },
        { op: 'put', key: '/t/b', value: '3' },
      ]);
      expect(first.ok && both.ok).toBe(true);
      if (!first.ok || !both.ok) return;
      const a = await store.get('/t/a');
      const b = await store.get('/t/b');
      expect(a).toMatchObject({ value: '2', createRevision: first.revision, modRevision: both.revision });
      expect(b).toMatchObject({ value: '3', createRevision: both.revision, modRevision: both.revision });
    });

    it('creates only when absent with ifModRevision 0', async () => {
      expect((await store.commit([{ op: 'put', key: '/t/x', value: 'a', ifModRevision: 0 }])).ok).toBe(true);
      const again = await store.commit([{ op: 'put', key: '/t/x', value: 'b', ifModRevision: 0 }]);
      expect(again.ok).toBe(false);
      expect((await store.get('/t/x'))?.value).toBe('a');
    });

    it('rejects a whole commit when one guard is stale, and reports which', async () => {
      const w = await store.commit([{ op: 'put', key: '/t/x', value: 'a' }]);
      if (!w.ok) throw new Error('setup');
      await store.commit([{ op: 'put', key: '/t/x', value: 'b' }]);
      const rev = await store.revision();
      const res = await store.commit([
        { op: 'put', key: '/t/y', value: 'new' },
        { op: 'put', key: '/t/x', value: 'c', ifModRevision: w.revision },
      ]);
      expect(res).toMatchObject({ ok: false, key: '/t/x', expected: w.revision });
      expect(await store.get('/t/y')).toBeUndefined();
      expect((await store.get('/t/x'))?.value).toBe('b');
      expect(await store.revision()).toBe(rev);
    });

    it('checks a guard key without writing it', async () => {
      const lease = await store.commit([{ op: 'put', key: '/t/lease', value: 'me' }]);
      if (!lease.ok) throw new Error('setup');
      const ok = await store.commit([
        { op: 'check', key: '/t/lease', ifModRevision: lease.revision },
        { op: 'put', key: '/t/data', value: 'x' },
      ]);
      expect(ok.ok).toBe(true);
      expect((await store.get('/t/lease'))?.modRevision).toBe(lease.revision);
      await store.commit([{ op: 'put', key: '/t/lease', value: 'other' }]);
      const deposed = await store.commit([
        { op: 'check', key: '/t/lease', ifModRevision: lease.revision },
        { op: 'put', key: '/t/data', value: 'y' },
      ]);
      expect(deposed.ok).toBe(false);
      expect((await store.get('/t/data'))?.value).toBe('x');
    });

    it('deletes, with and without a guard', async () => {
      const w = await store.commit([{ op: 'put', key: '/t/d', value: '1' }]);
      if (!w.ok) throw new Error('setup');
      expect((await store.commit([{ op: 'delete', key: '/t/d', ifModRevision: w.revision + 100 }])).ok).toBe(false);
      expect(await store.get('/t/d')).toBeDefined();
      expect((await store.commit([{ op: 'delete', key: '/t/d', ifModRevision: w.revision }])).ok).toBe(true);
      expect(await store.get('/t/d')).toBeUndefined();
      expect((await store.commit([{ op: 'delete', key: '/t/d' }])).ok).toBe(true);
    });

    it('lists a prefix in key order, and nothing outside it', async () => {
      await store.commit([
        { op: 'put', key: '/a/2', value: '2' },
        { op: 'put', key: '/a/1', value: '1' },
        { op: 'put', key: '/a0', value: 'no' },
        { op: 'put', key: '/b/1', value: 'no' },
        { op: 'put', key: '/a/10', value: '10' },
      ]);
      const res = await store.list('/a/');
      expect(res.items.map((kv) => kv.key)).toEqual(['/a/1', '/a/10', '/a/2']);
      expect(res.revision).toBe(await store.revision());
      expect(res.more).toBe(false);
    });

    it('pages a list with limit and after', async () => {
      const ops = Array.from({ length: 25 }, (_, i) => ({ op: 'put' as const, key: `/p/${String(i).padStart(3, '0')}`, value: String(i) }));
      await store.commit(ops);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.list('/p/', { limit: 10, after });
        seen.push(...page.items.map((kv) => kv.value));
        if (!page.more) break;
        after = page.items[page.items.length - 1].key;
      }
      expect(seen).toEqual(ops.map((o) => o.value));
    });

    it('watches changes under a prefix in commit order, with the previous value', async () => {
      const events = nextEvents('/w/', undefined, 3);
      await store.commit([{ op: 'put', key: '/w/a', value: '1' }]);
      await store.commit([{ op: 'put', key: '/other', value: 'x' }]);
      await store.commit([{ op: 'put', key: '/w/a', value: '2' }]);
      await store.commit([{ op: 'delete', key: '/w/a' }]);
      const got = await events;
      expect(got.map((e) => [e.type, e.key, e.value, e.prevValue])).toEqual([
        ['put', '/w/a', '1', undefined],
        ['put', '/w/a', '2', '1'],
        ['delete', '/w/a', undefined, '2'],
      ]);
      expect(got[0].modRevision).toBeLessThan(got[1].modRevision);
    });

    it('resumes a watch from a past revision without missing or repeating a change', async () => {
      const first = await store.commit([{ op: 'put', key: '/r/a', value: '1' }]);
      if (!first.ok) throw new Error('setup');
      await store.commit([{ op: 'put', key: '/r/b', value: '2' }]);
      await store.commit([{ op: 'put', key: '/r/c', value: '3' }]);
      const events = nextEvents('/r/', first.revision, 3);
      await store.commit([{ op: 'put', key: '/r/d', value: '4' }]);
      expect((await events).map((e) => e.key)).toEqual(['/r/b', '/r/c', '/r/d']);
    });

    it('keeps values byte for byte, unicode and large ones included', async () => {
      const big = JSON.stringify({ s: 'ünïcødé ✓ 😀', pad: 'x'.repeat(512 * 1024) });
      await store.commit([{ op: 'put', key: '/v/big', value: big }]);
      expect((await store.get('/v/big'))?.value).toBe(big);
    });

    it('reports itself healthy while open', async () => {
      expect(await store.healthy()).toBe(true);
    });
  });
}

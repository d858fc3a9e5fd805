import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateStoreContract } from '../../test/contracts/state-store.contract.js';
import { SqliteStateStore } from './sqlite-store.js';

let dir = '';
stateStoreContract(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'orch-sqlite-'));
    return new SqliteStateStore(join(dir, 'state.db'));
  },
  async () => rmSync(dir, { recursive: true, force: true }),
);

describe('SqliteStateStore on disk', () => {
  it('keeps keys and the revision counter across a reopen', async () => {
    const d = mkdtempSync(join(tmpdir(), 'orch-sqlite-'));
    try {
      const a = new SqliteStateStore(join(d, 'state.db'));
      await a.commit([{ op: 'put', key: '/k', value: 'v' }]);
      const res = await a.commit([{ op: 'put', key: '/k2', value: 'v2' }]);
      await a.close();
      const b = new SqliteStateStore(join(d, 'state.db'));
      expect((await b.get('/k'))?.value).toBe('v');
      expect(await b.revision()).toBe(res.ok ? res.revision : -1);
      const next = await b.commit([{ op: 'put', key: '/k3', value: 'v3' }]);
      expect(next.ok && next.revision).toBe((res.ok ? res.revision : 0) + 1);
      await b.close();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('commits issued together share a transaction but keep their own revisions, guards and events', async () => {
    const d = mkdtempSync(join(tmpdir(), 'orch-sqlite-'));
    const store = new SqliteStateStore(join(d, 'state.db'));
    try {
      const seen: Array<[number, string[]]> = [];
      store.watch('/g/', undefined, { onEvents: (events, revision) => void seen.push([revision, events.map((e) => e.key)]), onError: () => {} });
      const base = await store.revision();
      const before = store.writeStats();
      // Not awaited one by one: all four reach the same group commit.
      const results = await Promise.all([
        store.commit([{ op: 'put', key: '/g/a', value: '1', ifModRevision: 0 }]),
        store.commit([{ op: 'put', key: '/g/a', value: '2', ifModRevision: 0 }]),
        store.commit([{ op: 'put', key: '/g/b', value: '1' }, { op: 'put', key: '/g/c', value: '1' }]),
        store.commit([{ op: 'put', key: '/g/a', value: '3', ifModRevision: base + 1 }]),
      ]);
      expect(results).toEqual([
        { ok: true, revision: base + 1 },
        { ok: false, key: '/g/a', expected: 0, actual: base + 1 },
        { ok: true, revision: base + 2 },
        { ok: true, revision: base + 3 },
      ]);
      expect((await store.get('/g/a'))?.value).toBe('3');
      expect(store.writeStats()).toEqual({ commits: before.commits + 4, transactions: before.transactions + 1 });
      await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual([
        [base + 1, ['/g/a']],
        [base + 2, ['/g/b', '/g/c']],
        [base + 3, ['/g/a']],
      ]);
    } finally {
      await store.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('writes commits still waiting for their group when it is closed', async () => {
    const d = mkdtempSync(join(tmpdir(), 'orch-sqlite-'));
    try {
      const a = new SqliteStateStore(join(d, 'state.db'));
      const pending = a.commit([{ op: 'put', key: '/late', value: 'v' }]);
      await a.close();
      expect(await pending).toMatchObject({ ok: true });
      const b = new SqliteStateStore(join(d, 'state.db'));
      expect((await b.get('/late'))?.value).toBe('v');
      await b.close();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

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
});

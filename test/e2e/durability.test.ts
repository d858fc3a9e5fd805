import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/store/sqlite-store.js';
import { removeDir, ROOT, tempDir } from '../support/cluster.js';

/**
 * An acknowledged write survives `kill -9` at any moment: a child process commits in a loop and
 * prints each key once its commit returned; it is killed mid-stream, and every key it printed is in
 * the store when it is opened again.
 */
describe('SQLite durability under kill -9', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('keeps every acknowledged commit, whenever the writer dies', async () => {
    const db = join(dir, 'state.db');
    const script = `
      import { SqliteStateStore } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'store', 'sqlite-store.js'))};
      const store = new SqliteStateStore(${JSON.stringify(db)});
      for (let k = 0; ; k++) {
        const key = '/registry/test/' + String(k).padStart(8, '0');
        const res = await store.commit([{ op: 'put', key, value: JSON.stringify({ k, pad: 'x'.repeat(k % 500) }) }]);
        if (res.ok) process.stdout.write(key + '\\n');
      }`;
    for (const killAfterMs of [0, 50, 300]) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      // Count from the first acknowledged write, so the kill lands in the middle of the stream.
      while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, killAfterMs));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const acked = out.split('\n').filter((l) => l.startsWith('/registry/test/'));
      expect(acked.length).toBeGreaterThan(0);
      const store = new SqliteStateStore(db);
      for (const key of acked) expect(await store.get(key), key).toBeDefined();
      await store.close();
    }
  });
});

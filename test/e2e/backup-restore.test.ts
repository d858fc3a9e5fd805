import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, removeDir, startApi, tempDir } from '../support/cluster.js';

/** `cluster backup` then `orchestrator-api restore` into a fresh data dir: the same cluster comes back. */
describe('backup and restore', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('brings back every workload, revision and node, and refuses to restore over a live cluster', async () => {
    const a = await startApi({ dataDir: join(dir, 'a'), runtime: 'none' });
    await a.client.createWorkload({ name: 'one', replicas: 0, labels: { tier: 'web' }, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'] }] });
    await a.client.createWorkload({ name: 'two', replicas: 0, containers: [{ name: 'main', image: 'busybox' }] });
    await a.client.updateWorkload('two', { name: 'two', replicas: 0, containers: [{ name: 'main', image: 'busybox:1.36' }] });
    const file = join(dir, 'cluster.backup');
    const saved = await a.cli(['cluster', 'backup', file]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/saved \d+ keys of the sqlite store/);
    const before = (await a.client.listWorkloads()).items.map((w) => [w.name, w.workloadId, w.templateRevision, w.labels]);
    await a.kill();

    const restored = spawnSync(process.execPath, [BIN.api, 'restore', file, '--data-dir', join(dir, 'b')], { encoding: 'utf8' });
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/restored \d+ keys/);
    const again = spawnSync(process.execPath, [BIN.api, 'restore', file, '--data-dir', join(dir, 'b')], { encoding: 'utf8' });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('already holds a cluster');

    const b = await startApi({ dataDir: join(dir, 'b'), runtime: 'none' });
    try {
      expect((await b.client.listWorkloads()).items.map((w) => [w.name, w.workloadId, w.templateRevision, w.labels])).toEqual(before);
      expect((await b.client.listRevisions('two')).items.map((r) => r.template.containers[0].image)).toEqual(['busybox', 'busybox:1.36']);
    } finally {
      await b.kill();
    }
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]);
    expect(header).toMatchObject({ backup: 'orchestrator', format: 1, store: 'sqlite' });
  });
});

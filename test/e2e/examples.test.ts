import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, ROOT, startApi, tempDir, type ApiProcess } from '../support/cluster.js';

/** Every file in examples/ is accepted and does what its comment says, on the process runtime. */
describe('examples/', () => {
  const dataDir = tempDir();
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApi({ dataDir, args: process.env.DEBUG_LOGS ? ['--log-level', 'debug'] : [] });
  });
  afterAll(async () => {
    if (process.env.DEBUG_LOGS) process.stderr.write(api.logs());
    for (const w of (await api.client.listWorkloads()).items) await api.client.deleteWorkload(w.name);
    await eventually(async () => (await api.client.listInstances()).items.length === 0, 'examples cleaned up');
    await api.kill();
    removeDir(dataDir);
  });

  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml') && f !== 'web-v2.yaml');

  for (const file of files) {
    it(`creates ${file}`, async () => {
      const res = await api.cli(['workload', 'create', '-f', join(ROOT, 'examples', file)]);
      expect(res.code, res.stderr).toBe(0);
    });
  }

  it('runs web with 3 ready copies, then rolls it to revision 2 with web-v2.yaml', async () => {
    await eventually(async () => (await api.client.getWorkload('web')).status.readyReplicas === 3, 'web ready');
    const applied = await api.cli(['workload', 'apply', '-f', join(ROOT, 'examples', 'web-v2.yaml')]);
    expect(applied.stdout).toContain('revision 2');
    const status = await api.cli(['workload', 'rollout', 'status', 'web', '--timeout', '60']);
    expect(status.code, status.stderr).toBe(0);
    const { items } = await api.client.listInstances({ workload: 'web' });
    expect(items.filter((i) => i.revision === 2 && i.status === 'Running')).toHaveLength(3);
    const logs = await api.cli(['instance', 'logs', items[0].name]);
    expect(logs.stdout).toContain('revision 2');
  });

  it('keeps too-big Pending and says why, in describe and explain', async () => {
    const described = await eventually(async () => {
      const res = await api.cli(['workload', 'describe', 'too-big']);
      return res.stdout.includes('insufficient memory') ? res.stdout : undefined;
    }, 'an explanation');
    expect(described).toMatch(/0\/1 nodes available: 1 insufficient memory/);
  });

  it('finishes the job with 5 completions', async () => {
    await eventually(async () => (await api.client.getWorkload('count-to-three')).status.succeeded === 5, 'five completions', 60_000);
  });

  it('runs the daemon once on the one node', async () => {
    await eventually(async () => (await api.client.listInstances({ workload: 'node-logger' })).items.filter((i) => i.status === 'Running').length === 1, 'one daemon instance');
  });
});

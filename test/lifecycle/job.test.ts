import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, sampler, sh } from './lifecycle-support.js';

describe('a job (process runtime)', () => {
  const dataDir = tempDir();
  const shared = tempDir('orch-job-');
  const log = join(shared, 'log');
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'process' });
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'batch', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
    removeDir(shared);
  });

  it('with completions 5 and parallelism 2 finishes with exactly 5 successes, never more than 2 at once', async () => {
    const running = sampler(async () => (await api.client.listInstances({ workload: 'batch' })).items.filter((i) => i.status === 'Running' || i.status === 'Pending').length);
    await apply(api, {
      name: 'batch',
      kind: 'job',
      job: { completions: 5, parallelism: 2 },
      containers: [{ name: 'work', image: 'busybox', command: sh(`echo "start $HOSTNAME $(date +%s%N)" >> ${log}; sleep 1; echo "end $HOSTNAME $(date +%s%N)" >> ${log}`) }],
    });
    const w = await eventually(async () => {
      const wl = await api.client.getWorkload('batch');
      return wl.status.conditions.some((c) => c.type === 'Complete' && c.status === 'True') ? wl : undefined;
    }, 'the job Complete', 60_000);
    const samples = await running.stop();

    expect(w.status.succeeded).toBe(5);
    expect(w.status.failed ?? 0).toBe(0);
    const { items } = await api.client.listInstances({ workload: 'batch' });
    expect(items.filter((i) => i.status === 'Succeeded')).toHaveLength(5);
    expect(items).toHaveLength(5);

    // From the containers' own log: 5 runs, each started once, at most 2 between a start and its end.
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const starts = lines.filter((l) => l[0] === 'start');
    expect(starts).toHaveLength(5);
    expect(new Set(starts.map((l) => l[1])).size).toBe(5);
    let now = 0;
    let most = 0;
    for (const [what] of lines.sort((a, b) => Number(BigInt(a[2]) - BigInt(b[2])))) {
      now += what === 'start' ? 1 : -1;
      most = Math.max(most, now);
    }
    expect(most).toBe(2);
    expect(Math.max(...samples)).toBeLessThanOrEqual(2);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesWithArgs, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, sh } from './lifecycle-support.js';

describe('graceful termination (process runtime)', () => {
  const dataDir = tempDir();
  const shared = tempDir('orch-term-');
  const log = join(shared, 'log');
  // The container ignores SIGTERM (it notes it and carries on), so only SIGKILL ends it.
  const script = `trap 'echo "term $(date +%s%3N)" >> ${log}' TERM; echo "up $(date +%s%3N)" >> ${log}; while :; do sleep 0.1; done`;
  const argv = sh(script);
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'process' });
  });
  afterAll(async () => {
    await api?.kill();
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    removeDir(dataDir);
    removeDir(shared);
  });

  /** Listed by name from all instances: once the workload is deleted, its name no longer resolves. */
  const instances = async () => (await api.client.listInstances()).items.filter((i) => i.workloadName === 'stubborn');
  const lines = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);

  it('runs the pre-stop hook, then SIGTERM, and SIGKILL only after terminationGracePeriodSeconds; Terminating meanwhile', async () => {
    await apply(api, {
      name: 'stubborn',
      terminationGracePeriodSeconds: 3,
      containers: [{ name: 'main', image: 'busybox', command: argv, preStop: { exec: { command: sh(`echo "prestop $(date +%s%3N)" >> ${log}`) } } }],
    });
    const [pid] = await eventually(() => {
      const pids = processesWithArgs(argv);
      return pids.length === 1 ? pids : undefined;
    }, 'the container process');
    await eventually(async () => (await instances())[0]?.status === 'Running', 'Running');

    const deleted = await api.cli(['workload', 'delete', 'stubborn']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const terminating = await eventually(async () => {
      const i = (await instances())[0];
      return i?.status === 'Terminating' ? i : undefined;
    }, 'the instance Terminating');
    // Still there while it is Terminating: the process lives on through the grace period.
    await eventually(() => lines().some(([what]) => what === 'term'), 'SIGTERM delivered');
    expect(processesWithArgs(argv)).toEqual([pid]);
    expect(terminating.deletionRequestedAt).toBeTruthy();

    await eventually(() => processesWithArgs(argv).length === 0, 'the process killed', 20_000, 50);
    const killedAt = Date.now();
    const seen = lines();
    expect(seen.map(([what]) => what)).toEqual(['up', 'prestop', 'term']);
    const termAt = Number(seen[2][1]);
    const prestopAt = Number(seen[1][1]);
    expect(prestopAt).toBeLessThanOrEqual(termAt);
    // SIGKILL came a whole grace period after SIGTERM (minus the time the hook took).
    expect(killedAt - prestopAt).toBeGreaterThanOrEqual(3000);
    await eventually(async () => (await instances()).length === 0, 'the instance gone');
    await eventually(async () => (await api.client.listEvents({ object: terminating.instanceId })).items.some((e) => e.reason === 'Killed'), 'a Killed event', 10_000);
  });
});

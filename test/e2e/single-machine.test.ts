import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesWithArgs, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';

/**
 * The end-to-end walk on the real binaries and the process runtime: every claim is checked
 * on the host's processes (by their exact command line), not only through the API.
 */
describe('a whole cluster on one machine', () => {
  const dataDir = tempDir();
  // A command line no other process has, so the host's process table can be asked directly.
  const marker = `${4000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
  const argv = ['/bin/sleep', marker];
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir });
  });

  afterAll(async () => {
    await api?.kill('SIGKILL');
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    removeDir(dataDir);
  });

  async function runningPids(expected: number): Promise<number[]> {
    return eventually(async () => {
      const { items } = await api.client.listInstances({ workload: 'sleepers' });
      const running = items.filter((i) => i.status === 'Running' && !i.deletionRequestedAt);
      const apiPids = running.flatMap((i) => i.containers.map((c) => c.pid)).filter((p): p is number => typeof p === 'number').sort((a, b) => a - b);
      const hostPids = processesWithArgs(argv);
      return items.length === expected && apiPids.length === expected && JSON.stringify(apiPids) === JSON.stringify(hostPids) ? hostPids : undefined;
    }, `${expected} running instances matching ${expected} host processes`);
  }

  it('runs, scales, replaces, survives a kill -9 of the server, and cleans up', async () => {
    const file = join(dataDir, 'sleepers.yaml');
    writeFileSync(file, `name: sleepers\nreplicas: 3\ncontainers:\n  - name: main\n    image: busybox\n    command: ["${argv[0]}", "${argv[1]}"]\n`);
    const created = await api.cli(['workload', 'create', '-f', file]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('workload/sleepers created');
    const three = await runningPids(3);
    expect(three).toHaveLength(3);

    expect((await api.cli(['workload', 'scale', 'sleepers', '--replicas', '5'])).code).toBe(0);
    const five = await runningPids(5);
    expect(five).toEqual(expect.arrayContaining(three));

    expect((await api.cli(['workload', 'scale', 'sleepers', '--replicas', '1'])).code).toBe(0);
    const [survivor] = await runningPids(1);
    for (const pid of five.filter((p) => p !== survivor)) expect(processesWithArgs(argv)).not.toContain(pid);

    process.kill(survivor, 'SIGKILL');
    const [replacement] = await eventually(async () => {
      const pids = await runningPids(1);
      return pids[0] !== survivor ? pids : undefined;
    }, 'a replacement process');
    expect(replacement).not.toBe(survivor);

    const before = await api.client.listInstances({ workload: 'sleepers' });
    await api.kill('SIGKILL');
    // The containers outlive the control plane.
    expect(processesWithArgs(argv)).toEqual([replacement]);
    api = await startApi({ dataDir });
    const after = await api.client.listInstances({ workload: 'sleepers' });
    expect(after.items.map((i) => i.instanceId)).toEqual(before.items.map((i) => i.instanceId));
    expect((await api.client.listWorkloads()).items.map((w) => w.name)).toEqual(['sleepers']);
    // Adopted, not started again: the same single process, still after a few resyncs.
    expect(await runningPids(1)).toEqual([replacement]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesWithArgs(argv)).toEqual([replacement]);

    const deleted = await api.cli(['workload', 'delete', 'sleepers']);
    expect(deleted.code).toBe(0);
    await eventually(async () => processesWithArgs(argv).length === 0 && (await api.client.listInstances()).items.length === 0, 'every process and instance gone');
  });
});

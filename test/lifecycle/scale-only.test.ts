import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, liveInstances, sh } from './lifecycle-support.js';

describe('changing only replicas (process runtime)', () => {
  const dataDir = tempDir();
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'process' });
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'steady', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
  });

  const spec = (replicas: number) => ({ name: 'steady', replicas, containers: [{ name: 'main', image: 'busybox', command: sh('exec sleep 100000') }] });
  const running = (n: number) =>
    eventually(async () => {
      const items = await liveInstances(api, 'steady');
      return items.length === n && items.every((i) => i.status === 'Running') ? items : undefined;
    }, `${n} running instances`);

  it('never replaces instances: scale and apply keep the same ids, pids and revision, and only add', async () => {
    await apply(api, spec(2));
    const two = await running(2);

    expect((await api.cli(['workload', 'scale', 'steady', '--replicas', '4'])).code).toBe(0);
    const four = await running(4);
    const keep = (before: typeof two, after: typeof two) => {
      for (const b of before) {
        const a = after.find((x) => x.instanceId === b.instanceId);
        expect(a, `instance ${b.name} kept`).toBeDefined();
        expect(a!.containers[0].pid).toBe(b.containers[0].pid);
        expect(a!.containers[0].restartCount).toBe(0);
      }
    };
    keep(two, four);

    await apply(api, spec(5)); // the same template through apply
    const five = await running(5);
    keep(four, five);
    expect(new Set(five.map((i) => i.revision))).toEqual(new Set([1]));
    const history = await api.cli(['workload', 'rollout', 'history', 'steady', '-o', 'json']);
    expect(JSON.parse(history.stdout).items).toHaveLength(1);
  });
});

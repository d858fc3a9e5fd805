import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, liveInstances, readyOnes, runtimeCases, sh, type RuntimeCase } from './lifecycle-support.js';

/**
 * Revision 1 is ready at once; "broken" revisions never pass readiness. The deadline is short for a
 * test but long enough that a healthy step (start a process, pass a probe) on a loaded machine is not
 * taken for a stall: the undo rolls out under the same deadline.
 */
function app(rc: RuntimeCase, tag: string, broken: boolean) {
  return {
    name: 'app',
    replicas: 4,
    progressDeadlineSeconds: 15,
    // PID 1 of a runc container ignores SIGTERM unless it handles it: do not wait the default 30 s.
    terminationGracePeriodSeconds: 2,
    strategy: { maxSurge: 1, maxUnavailable: 1 },
    containers: [
      {
        name: 'main',
        image: rc.image,
        env: { TAG: tag },
        command: sh('exec sleep 100000'),
        readinessProbe: { exec: { command: broken ? ['false'] : ['true'] }, periodSeconds: 1 },
      },
    ],
  };
}

const cases = runtimeCases('stalled rollouts').map((c) => [c.runtime, c] as const);

describe.each(cases)('a rollout that does not progress (%s runtime)', (runtime, rc) => {
  const dataDir = tempDir();
  let api: ApiProcess;

  beforeAll(async () => {
    await rc.prepare(dataDir);
    api = await startApi({ dataDir, runtime });
  }, 120_000);
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'app', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
  });


  it('stops at its progress deadline, keeps the old copies serving, and rollout undo brings the old revision back', async () => {
    await apply(api, app(rc, 'good', false));
    const good = await eventually(async () => {
      const items = await liveInstances(api, 'app');
      return readyOnes(items).length === 4 ? items : undefined;
    }, '4 ready copies of revision 1');
    expect((await api.cli(['workload', 'rollout', 'status', 'app'])).code).toBe(0);

    await apply(api, app(rc, 'bad', true));
    const status = await api.cli(['workload', 'rollout', 'status', 'app', '--timeout', '90']);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toMatch(/exceeded its progress deadline/);

    // The old copies still serve: at least 3 of the 4 (maxUnavailable 1), untouched.
    const during = await liveInstances(api, 'app');
    const oldReady = readyOnes(during).filter((i) => i.revision === 1);
    expect(oldReady.length).toBeGreaterThanOrEqual(3);
    for (const i of oldReady) expect(good.map((g) => g.instanceId)).toContain(i.instanceId);
    expect(during.filter((i) => i.revision === 2).every((i) => !i.ready)).toBe(true);
    const events = await api.cli(['events', '--workload', 'app']);
    expect(events.stdout).toContain('ProgressDeadlineExceeded');
    expect(events.stdout).toContain('Readiness probe failed');

    const undo = await api.cli(['workload', 'rollout', 'undo', 'app']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/rolled back to revision 1/);
    const back = await api.cli(['workload', 'rollout', 'status', 'app', '--timeout', '90']);
    expect(back.code, back.stderr).toBe(0);
    const after = await eventually(async () => {
      const w = await api.client.getWorkload('app');
      const items = await liveInstances(api, 'app');
      return items.length === 4 && items.every((i) => i.revision === w.templateRevision && i.ready) ? { w, items } : undefined;
    }, 'all 4 copies on the restored template and ready');
    // The restored template is revision 1's: the good one.
    expect(after.w.containers[0].env).toEqual({ TAG: 'good' });
    const revision = await api.client.getRevision(after.w.workloadId, after.w.templateRevision);
    expect(revision.template.containers[0].readinessProbe?.exec?.command).toEqual(['true']);
  }, 240_000);
});

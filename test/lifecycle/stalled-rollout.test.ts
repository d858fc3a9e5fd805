import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, LIFECYCLE_RUNTIMES, liveInstances, readyOnes, sh } from './lifecycle-support.js';

/**
 * Revision 1 is ready at once; "broken" revisions never pass readiness. The deadline is short for a
 * test but long enough that a healthy step (start a process, pass a probe) on a loaded machine is not
 * taken for a stall: the undo rolls out under the same deadline.
 */
function app(tag: string, broken: boolean) {
  return {
    name: 'app',
    replicas: 4,
    progressDeadlineSeconds: 15,
    strategy: { maxSurge: 1, maxUnavailable: 1 },
    containers: [
      {
        name: 'main',
        image: 'busybox',
        env: { TAG: tag },
        command: sh('exec sleep 100000'),
        readinessProbe: { exec: { command: broken ? ['false'] : ['true'] }, periodSeconds: 1 },
      },
    ],
  };
}

describe.each(LIFECYCLE_RUNTIMES)('a rollout that does not progress (%s runtime)', (runtime) => {
  const dataDir = tempDir();
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime });
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'app', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
  });


  it('stops at its progress deadline, keeps the old copies serving, and rollout undo brings the old revision back', async () => {
    await apply(api, app('good', false));
    const good = await eventually(async () => {
      const items = await liveInstances(api, 'app');
      return readyOnes(items).length === 4 ? items : undefined;
    }, '4 ready copies of revision 1');
    expect((await api.cli(['workload', 'rollout', 'status', 'app'])).code).toBe(0);

    await apply(api, app('bad', true));
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

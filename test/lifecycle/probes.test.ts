import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, freePort, liveInstances, runtimeCases, sh } from './lifecycle-support.js';

const cases = runtimeCases('health checks through the server').map((c) => [c.runtime, c] as const);

describe.each(cases)('health checks on real containers (%s runtime)', (runtime, rc) => {
  const dataDir = tempDir();
  let api: ApiProcess;

  beforeAll(async () => {
    await rc.prepare(dataDir);
    api = await startApi({ dataDir, runtime });
  }, 120_000);
  afterAll(async () => {
    for (const w of ['site', 'heart']) await api?.cli(['workload', 'delete', w, '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
  });

  /** Rethrows with what the cluster looked like. */
  const explain = (workload: string) => async (err: Error) => {
    const items = (await api.client.listInstances()).items.map((i) => ({ name: i.name, status: i.status, ready: i.ready, containers: i.containers.map((c) => [c.state, c.reason, c.ready, c.restartCount]) }));
    throw new Error(`${err.message}\n${JSON.stringify(items)}\n${await events(workload)}`);
  };

  async function only(workload: string) {
    const items = await liveInstances(api, workload);
    return items.length === 1 ? items[0] : undefined;
  }

  async function events(workload: string): Promise<string> {
    const r = await api.cli(['events', '--workload', workload]);
    return r.stdout;
  }

  it('an http readiness probe follows the server: ready on 200, not ready on 404, ready again; a tcp liveness probe keeps passing', async () => {
    // Containers with a network of their own each have a whole port range; on the host, pick a free port.
    const port = rc.ownNetwork ? 8080 : await freePort();
    await apply(api, {
      name: 'site',
      // PID 1 of a runc container ignores SIGTERM unless it handles it: do not wait the default 30 s.
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          image: rc.image,
          command: sh(`mkdir -p www && echo ok > www/healthz && exec /bin/busybox httpd -f -p 127.0.0.1:${port} -h www`),
          readinessProbe: { http: { port, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 },
          livenessProbe: { tcp: { port }, initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    });
    const ready = await eventually(async () => ((await only('site'))?.ready ? await only('site') : undefined), 'the instance ready').catch(explain('site'));
    if (!rc.ownNetwork) expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)).toBe(200);

    expect((await api.cli(['instance', 'exec', ready.name, '--', 'rm', 'www/healthz'])).code).toBe(0);
    const unready = await eventually(async () => {
      const i = await only('site');
      return i && i.status === 'Running' && !i.ready ? i : undefined;
    }, 'the instance not ready after its health page went').catch(explain('site'));
    expect(unready.instanceId).toBe(ready.instanceId);
    await eventually(async () => (await events('site')).includes('Readiness probe failed: HTTP probe failed with statuscode: 404'), 'an Unhealthy event with the status').catch(explain('site'));

    expect((await api.cli(['instance', 'exec', ready.name, '--', '/bin/sh', '-c', 'echo ok > www/healthz'])).code).toBe(0);
    const again = await eventually(async () => ((await only('site'))?.ready ? await only('site') : undefined), 'ready again').catch(explain('site'));
    // Readiness never restarts anything, and the tcp liveness probe found the port open throughout.
    expect(again.instanceId).toBe(ready.instanceId);
    expect(again.containers[0].restartCount).toBe(0);
    expect(again.containers[0].pid).toBe(ready.containers[0].pid);
    expect(await events('site')).not.toContain('Liveness probe failed');
  });

  it('a failing liveness probe restarts the container: restart count goes up, new process, Unhealthy event', async () => {
    await apply(api, {
      name: 'heart',
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          image: rc.image,
          // A fresh container starts healthy; the test makes it sick by removing the file.
          command: sh('touch healthy && exec sleep 100000'),
          // A generous timeout: on a loaded machine starting `test` can take over a second, which is no sickness.
          livenessProbe: { exec: { command: ['test', '-f', 'healthy'] }, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 2 },
        },
      ],
    });
    const before = await eventually(async () => {
      const i = await only('heart');
      return i?.status === 'Running' && i.containers[0]?.pid ? i : undefined;
    }, 'the instance running');
    expect(before.containers[0].restartCount).toBe(0);

    expect((await api.cli(['instance', 'exec', before.name, '--', 'rm', 'healthy'])).code).toBe(0);
    const after = await eventually(async () => {
      const i = await only('heart');
      return i && i.containers[0]?.restartCount === 1 && i.status === 'Running' && i.containers[0].pid ? i : undefined;
    }, 'the container restarted once').catch(explain('heart'));
    expect(after.instanceId).toBe(before.instanceId);
    expect(after.containers[0].pid).not.toBe(before.containers[0].pid);
    expect(() => process.kill(before.containers[0].pid!, 0)).toThrow(); // the old process is gone
    const log = await events('heart');
    expect(log).toContain('Liveness probe failed');
    expect(log).toMatch(/Unhealthy/);
    // The new container is healthy (it made its file again): no second restart.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await only('heart'))?.containers[0].restartCount).toBe(1);
  });
});

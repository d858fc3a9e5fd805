import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { Prober } from '../../src/agent/probes/prober.js';
import { ApiClient } from '../../src/api/client.js';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import { silentLogger } from '../../src/types/logger.js';
import { BUSYBOX_REF, ociWorld, skipOci } from '../oci/oci-fixture.js';
import { eventually, removeDir, ROOT, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, liveInstances } from './lifecycle-support.js';

const skip = skipOci('health checks of runc containers');

/**
 * Probes of real runc containers, each in its own network namespace: the control plane is the
 * spawned orchestrator-api (no local node), the node an in-process Agent on the OCI runtime with a
 * busybox image. The http and tcp probes reach the container's 127.0.0.1 from inside its namespace.
 */
describe.skipIf(skip)('health checks on runc containers', () => {
  const dataDir = tempDir();
  const nodeId = `lc-oci-${process.pid}`;
  let api: ApiProcess;
  let world: Awaited<ReturnType<typeof ociWorld>>;
  let runtime: ContainerRuntime;
  let agent: Agent;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'none' });
    world = await ociWorld();
    runtime = await world.runtime();
    // The netns check program as built into dist/ (npm test builds first; the binaries come from there too).
    const checkProgram = { nodeArgs: [], script: join(ROOT, 'dist', 'src', 'agent', 'probes', 'netns-probe-main.js') };
    agent = new Agent({
      client: new ApiClient({ server: api.url, token: api.token }),
      runtime,
      nodes: [{ id: nodeId, name: nodeId, capacity: { cpuCores: 2, memoryMb: 2048, diskMb: 10_000 }, labels: {}, taints: [], runtime: 'oci' }],
      log: silentLogger,
      heartbeatMs: 1000,
      probes: new Prober({ runtime, log: silentLogger, checkProgram }),
    });
    await agent.start();
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'oci-web', '--wait']).catch(() => undefined);
    await agent?.stop();
    for (const c of (await runtime?.listContainers(nodeId).catch(() => [])) ?? []) await runtime.removeContainer(nodeId, c.containerId);
    await runtime?.close?.();
    world?.cleanup();
    await api?.kill();
    removeDir(dataDir);
  });

  /** What the cluster looked like, for a failure message. */
  const explain = async (err: Error) => {
    const items = (await api.client.listInstances()).items.map((i) => ({ status: i.status, ready: i.ready, containers: i.containers.map((c) => [c.state, c.reason, c.ready, c.restartCount]) }));
    throw new Error(`${err.message}\n${JSON.stringify(items)}\n${(await api.cli(['events'])).stdout}`);
  };
  const only = async () => {
    const items = await liveInstances(api, 'oci-web');
    return items.length === 1 ? items[0] : undefined;
  };
  const exec = async (cid: string, command: string[]) => {
    const s = await runtime.exec!(nodeId, cid, command, {});
    s.stdout.resume();
    s.stderr.resume();
    return s.exitCode;
  };

  it('http readiness and tcp liveness work inside the container\'s network namespace: unready on 404, restarted when the port closes', async () => {
    await apply(api, {
      name: 'oci-web',
      containers: [
        {
          name: 'main',
          image: BUSYBOX_REF,
          // httpd daemonizes; the shell stays as the container's first process, so the port can close while the container lives.
          command: ['sh', '-c', 'echo ok > /www/healthz && httpd -p 8080 -h /www && while :; do sleep 1; done'],
          readinessProbe: { http: { port: 8080, path: '/healthz' }, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
          livenessProbe: { tcp: { port: 8080 }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 2 },
        },
      ],
    });
    const ready = await eventually(async () => ((await only())?.ready ? await only() : undefined), 'the runc container ready', 60_000)
    expect(ready.nodeId).toBe(nodeId);
    const cid = ready.containers[0].containerId;

    expect(await exec(cid, ['rm', '/www/healthz'])).toBe(0);
    await eventually(async () => (await only())?.ready === false, 'not ready once the page is gone', 30_000).catch(explain);
    expect(await exec(cid, ['sh', '-c', 'echo ok > /www/healthz'])).toBe(0);
    const again = await eventually(async () => ((await only())?.ready ? await only() : undefined), 'ready again', 30_000).catch(explain);
    expect(again.containers[0].restartCount).toBe(0);

    expect(await exec(cid, ['killall', 'httpd'])).toBe(0);
    const restarted = await eventually(async () => {
      const i = await only();
      return i && i.containers[0].restartCount === 1 && i.ready ? i : undefined;
    }, 'restarted by the liveness probe and ready again', 60_000).catch(explain);
    expect(restarted.instanceId).toBe(ready.instanceId);
    const events = await api.cli(['events', '--workload', 'oci-web']);
    expect(events.stdout).toMatch(/liveness probe failed/i);
  }, 180_000);
});

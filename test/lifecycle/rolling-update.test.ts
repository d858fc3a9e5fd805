import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, LIFECYCLE_RUNTIMES, liveInstances, readyOnes, sampler, sh } from './lifecycle-support.js';

/**
 * Each replica serves its VERSION with busybox httpd on a port of its own (replicas share the host's
 * network on the process runtime): it derives one from its hostname and moves up while the port is
 * taken, and writes it to ./port. The readiness probe asks that server, over HTTP, for the version
 * it should serve, so "ready" means "this copy answers with the new content". The port is also
 * written to a directory of the test's (PORTS), so the test can ask every copy itself. The probe's
 * timeout is generous: on a loaded machine a shell pipeline can take over a second to start, and a
 * readiness timeout there is a real (if unwanted) unready copy, not a rollout that went too fast.
 */
function web(version: string, startDelaySeconds: number, portsDir: string) {
  return {
    name: 'web',
    replicas: 4,
    strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 1 },
    containers: [
      {
        name: 'main',
        image: 'busybox',
        env: { VERSION: version, DELAY: String(startDelaySeconds), PORTS: portsDir },
        command: sh(
          'mkdir -p www && sleep "$DELAY" && echo "$VERSION" > www/index.html && ' +
            'p=$(( $(echo "$HOSTNAME" | cksum | cut -d" " -f1) % 20000 + 20000 )); ' +
            'while :; do echo "$p" > port; echo "$p" > "$PORTS/$HOSTNAME"; /bin/busybox httpd -f -p 127.0.0.1:"$p" -h www; p=$((p + 1)); done',
        ),
        readinessProbe: { exec: { command: sh('/bin/busybox wget -q -O - "http://127.0.0.1:$(cat port)/" | grep -qx "$VERSION"') }, periodSeconds: 1, timeoutSeconds: 5 },
      },
    ],
  };
}

/** Does the instance's server answer (any version)? */
async function answers200(portsDir: string, instanceName: string): Promise<boolean> {
  try {
    const port = readFileSync(join(portsDir, instanceName), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

describe.each(LIFECYCLE_RUNTIMES)('rolling update gated by readiness (%s runtime)', (runtime) => {
  const dataDir = tempDir();
  const portsDir = tempDir('orch-ports-');
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime });
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'web', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
    removeDir(portsDir);
  });

  it('replaces 4 replicas with maxUnavailable 1 and never has fewer than 3 ready', async () => {
    await apply(api, web('v1', 0, portsDir));
    const first = await eventually(async () => {
      const items = await liveInstances(api, 'web');
      return items.length === 4 && readyOnes(items).length === 4 ? items : undefined;
    }, '4 ready replicas of revision 1');

    const samples = sampler(async () => {
      const { items } = await api.client.listInstances({ workload: 'web' });
      const ready = readyOnes(items);
      const answers = await Promise.all(ready.map((i) => answers200(portsDir, i.name)));
      const picture = items.map((i) => `${i.name}@r${i.revision}:${i.status}${i.ready ? '+ready' : ''}${i.deletionRequestedAt ? '+deleting' : ''}`).join(' ');
      return { ready: ready.length, serving: answers.filter(Boolean).length, total: items.filter((i) => !i.deletionRequestedAt).length, picture };
    });
    await apply(api, web('v2', 1, portsDir));
    const status = await api.cli(['workload', 'rollout', 'status', 'web', '--timeout', '120']);
    const done = await eventually(async () => {
      const items = await liveInstances(api, 'web');
      return items.length === 4 && items.every((i) => i.revision === 2 && i.ready) ? items : undefined;
    }, '4 ready replicas of revision 2');
    const seen = await samples.stop();

    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('successfully rolled out (revision 2)');
    expect(seen.length).toBeGreaterThan(20);
    const worst = seen.reduce((a, b) => (b.ready < a.ready ? b : a));
    const unhealthy = (await api.client.listEvents({ workload: 'web', limit: 500 })).items.filter((e) => e.reason === 'Unhealthy').map((e) => `${e.object.name}: ${e.message}`);
    expect(worst.ready, `fewest ready: ${worst.picture}\nprobe failures: ${unhealthy.join('\n')}`).toBeGreaterThanOrEqual(3);
    // Ready means serving: the copies the API calls ready answer over HTTP, at least 3 at any time.
    expect(Math.min(...seen.map((s) => s.serving))).toBeGreaterThanOrEqual(3);
    expect(Math.max(...seen.map((s) => s.total))).toBeLessThanOrEqual(5); // maxSurge 1
    // Every instance was replaced, and each new one answers with the new content.
    expect(done.map((i) => i.instanceId)).not.toEqual(expect.arrayContaining([first[0].instanceId]));
    for (const i of done) {
      const port = await api.cli(['instance', 'exec', i.name, '--', 'cat', 'port']);
      expect(port.code, port.stderr).toBe(0);
      const body = await fetch(`http://127.0.0.1:${port.stdout.trim()}/`).then((r) => r.text());
      expect(body.trim()).toBe('v2');
    }
    const history = await api.cli(['workload', 'rollout', 'history', 'web']);
    expect(history.stdout).toMatch(/^2\s+\*/m);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { pushWithSkopeo, startRegistry, type RegistryHandle } from '../support/registry.js';
import { systemSkip } from '../support/system.js';

const skip = systemSkip('the cluster on runc', ['root', { bin: 'runc' }, { bin: 'conmon' }, { bin: 'skopeo' }, { bin: 'docker-registry' }, { bin: 'busybox' }, { bin: 'setfattr' }]);

/**
 * The single-machine cluster on runc, as a user sees it: an image built from Debian's busybox is
 * pushed to a registry on loopback and pulled by the cluster; containers are checked with `runc list`
 * and the host's process table, not only through the API.
 */
describe.skipIf(skip)('a cluster of runc containers', () => {
  const dir = tempDir();
  const node = 'runc-node';
  let registry: RegistryHandle;
  let api: ApiProcess;
  let image: string;
  let archive: string;
  const runcRoot = () => join(dir, 'cp', 'runtime', 'oci', 'nodes', node, 'runc');
  const runcList = (): Array<{ id: string; status: string; pid: number }> => {
    if (!existsSync(runcRoot())) return [];
    return JSON.parse(execFileSync('runc', ['--root', runcRoot(), 'list', '--format', 'json'], { encoding: 'utf8' }) || '[]') ?? [];
  };

  beforeAll(async () => {
    registry = await startRegistry();
    const built = await buildBusyboxImage(join(dir, 'image'), 'e2e');
    image = `${registry.host}/busybox:e2e`;
    archive = built.archive;
    await pushWithSkopeo(built.layoutDir, "e2e", image);
    api = await startApi({ dataDir: join(dir, 'cp'), runtime: 'oci', args: ['--node-name', node] });
  }, 120_000);

  afterAll(async () => {
    if (process.env.DEBUG_LOGS) process.stderr.write(api?.logs() ?? '');
    for (const w of (await api?.client.listWorkloads().catch(() => ({ items: [] })))?.items ?? []) await api.client.deleteWorkload(w.name).catch(() => {});
    await eventually(() => runcList().length === 0, 'no containers left', 30_000).catch(() => {});
    await api?.kill();
    await registry?.stop();
    removeDir(dir);
  });

  it('pulls the image and runs 3 httpd replicas in 3 runc containers, each in its own network', async () => {
    await api.client.createWorkload({
      name: 'web',
      replicas: 3,
      // busybox httpd as PID 1 has no SIGTERM handler: the grace period is what a stop takes.
      terminationGracePeriodSeconds: 3,
      containers: [{ name: 'httpd', image, command: ['/bin/busybox', 'sh', '-c', 'echo serving from $(hostname); exec /bin/busybox httpd -f -p 8080'], network: 'none', resourceRequests: { cpuMillicores: 100, memoryMb: 32 } }],
    });
    await eventually(async () => (await api.client.listInstances({ workload: 'web' })).items.filter((i) => i.status === 'Running').length === 3, '3 running instances', 90_000);
    const running = runcList().filter((c) => c.status === 'running');
    expect(running).toHaveLength(3);
    const { items } = await api.client.listInstances({ workload: 'web' });
    expect(running.map((c) => c.id).sort()).toEqual(items.map((i) => i.containers[0].containerId).sort());
    const events = await api.cli(['events', '--workload', 'web']);
    expect(events.stdout).toMatch(/Pull/);
  });

  it('lists, pulls with progress, imports and guards images through the CLI', async () => {
    const listed = await api.cli(['image', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(image);
    const pulled = await api.cli(['image', 'pull', image]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain(`${image} pulled to ${node}`);
    const imported = await api.cli(['image', 'import', archive]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported to runc-node/);
    const inUse = await api.cli(['image', 'rm', image]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/in use|used by/i);
    const missing = await api.cli(['image', 'pull', `${registry.host}/no-such:tag`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ImagePullError: not found/);
  });

  it('shows what a container printed, and runs exec with its output and exit code', async () => {
    const inst = (await api.client.listInstances({ workload: 'web' })).items[0];
    const logs = await eventually(async () => {
      const res = await api.cli(['instance', 'logs', inst.name]);
      return res.stdout.includes('serving from') ? res : undefined;
    }, 'the container\'s output in its logs');
    expect(logs.stdout).toContain(`serving from ${inst.name}`);
    const exec = await api.cli(['instance', 'exec', inst.name, '--', '/bin/busybox', 'sh', '-c', 'echo inside $(hostname); ls /proc/1/ >/dev/null; exit 3']);
    expect(exec.code).toBe(3);
    expect(exec.stdout).toContain(`inside ${inst.name}`);
  });

  it('runs an interactive shell with a terminal (exec -it): it reads what is typed and its exit code comes back', async () => {
    const inst = (await api.client.listInstances({ workload: 'web' })).items[0];
    const shell = await api.cli(['instance', 'exec', inst.name, '-it', '--', 'sh'], { input: 'tty; echo $((6*7)); exit 5\n' });
    expect(shell.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(shell.stdout).toMatch(/^42\r?$/m);
    expect(shell.code, shell.stderr).toBe(5);
  });

  it('replaces a container whose process is killed', async () => {
    const inst = (await api.client.listInstances({ workload: 'web' })).items[0];
    const pid = inst.containers[0].pid!;
    process.kill(pid, 'SIGKILL');
    const after = await eventually(async () => {
      const i = await api.client.getInstance(inst.name);
      const c = i.containers[0];
      return c.state === 'Running' && c.pid !== pid && c.restartCount >= 1 ? i : undefined;
    }, 'the container running again with a new process', 60_000);
    expect(runcList().filter((c) => c.status === 'running')).toHaveLength(3);
    expect(after.containers[0].lastTermination?.exitCode).toBe(137);
  });

  it('reports a container over its memory limit as OOMKilled', async () => {
    await api.client.createWorkload({
      name: 'hog',
      // A job, so the failed copy is kept (a service would replace it) and its status can be read.
      kind: 'job',
      job: { completions: 1, parallelism: 1, backoffLimit: 0 },
      restartPolicy: 'Never',
      containers: [{ name: 'main', image, command: ['/bin/busybox', 'sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], resourceLimits: { memoryMb: 16 } }],
    });
    const failed = await eventually(async () => (await api.client.listInstances({ workload: 'hog' })).items.find((i) => i.status === 'Failed'), 'the hog failed', 60_000);
    expect(failed.containers[0]).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    await api.client.deleteWorkload('hog');
    await eventually(() => !runcList().some((c) => c.id.startsWith('hog-')), 'the hog\'s container removed from runc', 30_000);
  });

  it('keeps the containers through a control-plane restart and adopts them', async () => {
    const before = runcList().filter((c) => c.status === 'running').map((c) => [c.id, c.pid]);
    await api.kill('SIGKILL');
    expect(runcList().filter((c) => c.status === 'running').map((c) => [c.id, c.pid])).toEqual(before);
    api = await startApi({ dataDir: join(dir, 'cp'), runtime: 'oci', args: ['--node-name', node] });
    await eventually(async () => (await api.client.listInstances({ workload: 'web' })).items.filter((i) => i.status === 'Running').length === 3, 'adopted');
    await new Promise((r) => setTimeout(r, 1500));
    expect(runcList().filter((c) => c.status === 'running').map((c) => [c.id, c.pid])).toEqual(before);
  });

  it('leaves no container, bundle or mount behind when the workload is deleted', async () => {
    expect((await api.cli(['workload', 'delete', 'web', '--wait'])).code).toBe(0);
    await eventually(() => runcList().length === 0, 'runc list empty', 30_000);
    const containersDir = join(dir, 'cp', 'runtime', 'oci', 'nodes', node, 'containers');
    expect(existsSync(containersDir) ? readdirSync(containersDir) : []).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(join(dir, 'cp', 'runtime'));
  }, 120_000);
});

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import type { ContainerConfig } from '../../src/types/container.js';
import type { ContainerStatus } from '../../src/types/instance.js';
import { freePort } from '../support/registry.js';
import { BUSYBOX_REF, ociWorld, skipOci } from './oci-fixture.js';

const skip = skipOci('oci runtime on runc');
const NODE = 'node-1';
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Retries while the server is still binding its port: there is no event for "listening" from outside. */
async function getWhenUp(url: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await httpGet(url);
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.skipIf(skip)('oci runtime on runc', () => {
  let world: Awaited<ReturnType<typeof ociWorld>>;
  let runtime: ContainerRuntime;
  let runcRoot: string;
  const exits: string[] = [];
  const exitWaiters: Array<() => void> = [];

  beforeAll(async () => {
    world = await ociWorld();
    runtime = world.runtime();
    runtime.onExit!((_node, id) => {
      exits.push(id);
      for (const w of exitWaiters.splice(0)) w();
    });
    await runtime.initNode(NODE);
    runcRoot = join(world.dir, 'runtime', 'nodes', NODE, 'runc');
  });

  afterEach(async () => {
    for (const c of await runtime.listContainers(NODE)) await runtime.removeContainer(NODE, c.containerId);
  });

  afterAll(async () => {
    await runtime?.close?.();
    world?.cleanup();
  });

  const run = (id: string, config: Partial<ContainerConfig>) =>
    runtime.createContainer(NODE, id, { name: 'main', image: BUSYBOX_REF, ...config } as ContainerConfig, { labels: { 'orchestrator.instance': id }, hostname: `host-${id}` });

  async function stoppedStatus(id: string): Promise<ContainerStatus> {
    for (;;) {
      // Listen before looking, so an exit between the two is not missed.
      const exited = new Promise<void>((resolve) => exitWaiters.push(resolve));
      const st = await runtime.getContainerStatus(NODE, id);
      if (st.state === 'Stopped') return st;
      await exited;
    }
  }

  const execOut = async (id: string, command: string[]) => {
    const s = await runtime.exec!(NODE, id, command, {});
    const [out, err, code] = await Promise.all([readAll(s.stdout), readAll(s.stderr), s.exitCode]);
    return { out, err, code };
  };

  /** A TTY exec whose terminal output so far `out()` gives. */
  const ttyExec = async (id: string, command: string[]) => {
    const s = await runtime.exec!(NODE, id, command, { tty: true });
    let text = '';
    s.stdout.on('data', (c: Buffer) => {
      text += c.toString();
    });
    return { s, out: () => text };
  };

  const runcList = () => (JSON.parse(execFileSync('runc', ['--root', runcRoot, 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') ?? []) as Array<{ id: string; status: string }>;

  it('serves HTTP from busybox httpd in a runc container on the host network', async () => {
    const port = await freePort();
    await run('web', { command: ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www'], network: 'host' });
    expect(runcList()).toContainEqual(expect.objectContaining({ id: 'web', status: 'running' }));
    expect(await getWhenUp(`http://127.0.0.1:${port}/`)).toBe('hello from busybox\n');
  });

  it('gives a container with network none its own namespace with only loopback', async () => {
    await run('isolated', { command: ['sleep', '1000'], network: 'none' });
    const { out } = await execOut('isolated', ['cat', '/proc/net/dev']);
    const interfaces = out.split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
    expect(interfaces).toEqual(['lo']);
    expect((await execOut('isolated', ['hostname'])).out).toBe('host-isolated\n');
  });

  it('reports a container whose process was killed as Stopped with exit code 137', async () => {
    await run('victim', { command: ['sleep', '1000'] });
    const { pid } = await runtime.getContainerStatus(NODE, 'victim');
    process.kill(pid!, 'SIGKILL');
    expect(await stoppedStatus('victim')).toMatchObject({ state: 'Stopped', exitCode: 137, reason: 'Error' });
    expect(exits).toContain('victim');
  });

  it('reports a process that exceeds its memory limit as OOMKilled', async () => {
    await run('hog', { command: ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], resourceLimits: { memoryMb: 16 } });
    const st = await stoppedStatus('hog');
    expect(st).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(await readAll(await runtime.logs(NODE, 'hog', {}))).not.toContain('survived');
  });

  it('applies cgroup limits, Docker\'s capabilities, no-new-privileges, masked paths, user and working dir', async () => {
    await run('limited', {
      command: ['sleep', '1000'],
      user: '65534:65534',
      workingDir: '/www',
      readOnlyRootfs: true,
      resourceRequests: { cpuMillicores: 250 },
      resourceLimits: { cpuMillicores: 500, memoryMb: 64 },
    });
    const cg = (ctrl: string, file: string) => readFileSync(`/sys/fs/cgroup/${ctrl}/orchestrator/${NODE}/limited/${file}`, 'utf8').trim();
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(cg('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(cg('cpu', 'cpu.shares')).toBe('256');
    const status = (await execOut('limited', ['cat', '/proc/self/status'])).out;
    expect(status).toMatch(/^CapBnd:\s+00000000a80425fb$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect((await execOut('limited', ['id', '-u'])).out).toBe('65534\n');
    expect((await execOut('limited', ['pwd'])).out).toBe('/www\n');
    expect((await execOut('limited', ['cat', '/proc/kcore'])).out).toBe('');
    expect((await execOut('limited', ['touch', '/www/new'])).code).not.toBe(0);
  });

  it('execs with output, stderr and exit code, and reports a missing program as 127', async () => {
    await run('shell', { command: ['sleep', '1000'] });
    expect(await execOut('shell', ['sh', '-c', 'echo "$0"; echo oops >&2; exit 3', 'arg; rm -rf /'])).toEqual({ out: 'arg; rm -rf /\n', err: 'oops\n', code: 3 });
    expect((await execOut('shell', ['/no/such/thing'])).code).toBe(127);
  });

  it('execs with a TTY: the command sees a terminal, reads what is typed, and its exit code comes back', async () => {
    await run('interactive', { command: ['sleep', '1000'] });
    const { s, out } = await ttyExec('interactive', ['sh']);
    s.stdin!.write('tty; echo "it is $((6 * 7))"; exit 5\n');
    expect(await s.exitCode).toBe(5);
    expect(out()).toMatch(/\/dev\/pts\/\d+/);
    expect(out()).toContain('it is 42');
  });

  it('resizes a TTY exec\'s terminal: the command sees the new size', async () => {
    await run('resized', { command: ['sleep', '1000'] });
    const { s, out } = await ttyExec('resized', ['sh']);
    expect(s.resize).toBeTypeOf('function');
    // The size arrives through runc a moment later: ask until the shell sees it.
    const sizeSeen = async (size: RegExp) => {
      for (let i = 0; i < 50 && !size.test(out()); i++) {
        s.stdin!.write('stty size\n');
        await new Promise((r) => setTimeout(r, 100));
      }
      return out();
    };
    s.resize!(123, 45);
    expect(await sizeSeen(/\b45 123\b/)).toMatch(/\b45 123\b/);
    s.resize!(80, 24);
    expect(await sizeSeen(/\b24 80\b/)).toMatch(/\b24 80\b/);
    s.stdin!.write('exit 0\n');
    expect(await s.exitCode).toBe(0);
  });

  it('passes TTY exec arguments through as data, never as host shell code', async () => {
    await run('literal', { command: ['sleep', '1000'] });
    const marker = join(world.dir, 'pwned');
    const text = `$(touch ${marker}) \`touch ${marker}\` "; touch ${marker}`;
    const { s, out } = await ttyExec('literal', ['echo', text]);
    s.stdin!.end();
    expect(await s.exitCode).toBe(0);
    expect(out()).toContain(text);
    expect(existsSync(marker)).toBe(false);
  });

  it('leaks no file descriptor of the agent into the container or an exec', async () => {
    await run('fds', { command: ['sleep', '1000'] });
    expect((await execOut('fds', ['ls', '/proc/1/fd'])).out.split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2']);
    // ls itself holds fd 3 (the directory it reads).
    expect((await execOut('fds', ['ls', '/proc/self/fd'])).out.split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2', '3']);
  });

  it('refuses to bind-mount the runtime binary or its state into a container', async () => {
    await expect(run('escape', { command: ['true'], mounts: [{ type: 'bind', source: '/usr/sbin', destination: '/host-sbin', readOnly: true }] })).rejects.toThrow(/expose the container runtime/);
    await expect(run('escape2', { command: ['true'], mounts: [{ type: 'bind', source: world.dir, destination: '/data', readOnly: false }] })).rejects.toThrow(/expose the container runtime/);
  });

  it('keeps containers running and logging after the agent process that started them has ended, and a new one adopts them with the exits it missed', async () => {
    const child = spawn(process.execPath, [join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/oci/adopt-child.test.ts'], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))), ORCH_OCI_ADOPT_DIR: world.dir, ORCH_OCI_ADOPT_NODE: NODE, ORCH_OCI_ADOPT_IMAGE: BUSYBOX_REF },
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);

    const containers = join(world.dir, 'runtime', 'nodes', NODE, 'containers');
    const shortPid = Number(readFileSync(join(containers, 'short', 'pid'), 'utf8'));
    while (existsSync(`/proc/${shortPid}`)) await new Promise((r) => setTimeout(r, 50));

    const listed = await runtime.listContainers(NODE);
    expect(listed.find((c) => c.containerId === 'ticker')).toMatchObject({ state: 'Running', labels: { app: 'ticker' } });
    expect(listed.find((c) => c.containerId === 'short')).toMatchObject({ state: 'Stopped', exitCode: 4, reason: 'Error', labels: { app: 'short' } });
    const ticks = (await readAll(await runtime.logs(NODE, 'ticker', {}))).split('\n').filter(Boolean).length;
    const ac = new AbortController();
    let more = 0;
    for await (const chunk of await runtime.logs(NODE, 'ticker', { follow: true, tail: 0, signal: ac.signal })) {
      more += String(chunk).split('\n').filter(Boolean).length;
      if (more >= 3) ac.abort();
    }
    expect(ticks).toBeGreaterThan(0);
    expect(more).toBeGreaterThanOrEqual(3);
  });

  it('leaves no runc state, mount, cgroup, bundle or monitor behind after remove', async () => {
    await run('gone', { command: ['sleep', '1000'], resourceLimits: { memoryMb: 32 } });
    const dir = join(world.dir, 'runtime', 'nodes', NODE, 'containers', 'gone');
    const conmonPid = Number(readFileSync(join(dir, 'conmon.pid'), 'utf8'));
    // The root is an overlay over the shared layers, mounted inside the container's own mount namespace.
    expect((await execOut('gone', ['cat', '/proc/mounts'])).out).toMatch(/^overlay \/ overlay .*lowerdir=[^ ]*layers\//m);
    await runtime.removeContainer(NODE, 'gone');
    expect(runcList().map((c) => c.id)).not.toContain('gone');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
    expect(existsSync(`/sys/fs/cgroup/memory/orchestrator/${NODE}/gone`)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(join(world.dir, 'runtime', 'nodes', NODE, 'exits'))).not.toContain('gone');
    // Gone, or a zombie waiting for init to reap it: either way no monitor runs.
    const stat = existsSync(`/proc/${conmonPid}/stat`) ? readFileSync(`/proc/${conmonPid}/stat`, 'utf8') : '';
    expect(stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))).toBe(true);
  });
});

import { runProcess, spawnProcess } from '../src/lib/spawn.js';
import { startMonitor } from '../src/runtime/oci/conmon.js';
import { resolveBinary } from '../src/runtime/oci/wait.js';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSpec, nodeNofileLimit } from '../src/runtime/oci/oci-spec.js';

/**
 * The physical floor for starting containers on this machine: a bare loop of `runc create` +
 * `runc start` for N busybox containers (`sleep`), `parallel` at a time, and their teardown
 * (`runc delete --force`). By default each bundle holds the very config.json the OCI runtime writes
 * (same mounts, namespaces, masked paths, an overlay root over one shared layer with its own upper
 * dir), prepared before the clock starts; `spec: 'minimal'` uses a bare-bones spec instead. No
 * monitor, no logs, no image store, no bookkeeping: what any orchestrator on runc pays at least.
 * `monitor: 'conmon'` has Debian's conmon run each `runc create`, as the OCI runtime does, which
 * prices the monitor alone (what CRI-O and Podman pay too).
 * `npm run bench -- containers` puts the cluster's own figure beside it.
 */
const BARE_CGROUP_PARENT = 'orchestrator-bare';

export interface BareLoopResult {
  count: number;
  parallel: number;
  startMs: number;
  teardownMs: number;
}

export async function bareRuncLoop(options: { count: number; parallel: number; workDir: string; runtimeBinary?: string; spec?: 'same-as-oci-runtime' | 'minimal'; monitor?: 'none' | 'conmon' }): Promise<BareLoopResult> {
  const runc = resolveBinary(options.runtimeBinary ?? 'runc');
  const base = join(options.workDir, `bare-runc-${process.pid}-${Date.now()}`);
  const rootfs = join(base, 'rootfs');
  const stateRoot = join(base, 'state');
  busyboxRootfs(rootfs);
  mkdirSync(stateRoot, { recursive: true });
  const ids = Array.from({ length: options.count }, (_, i) => `bare-${i}`);
  for (const id of ids) {
    const bundle = join(base, id);
    mkdirSync(bundle, { recursive: true });
    mkdirSync(join(bundle, 'rootfs'));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(options.spec === 'minimal' ? bareSpec(rootfs, id) : runtimeSpec(rootfs, bundle, id)));
  }
  const call = (args: string[], cwd?: string) => run(runc, ['--root', stateRoot, ...args], cwd);
  const conmon = options.monitor === 'conmon' ? resolveBinary('conmon') : undefined;
  const exits = join(base, 'exits');
  mkdirSync(exits);
  mkdirSync(join(base, 'sockets'));
  const create = async (id: string) => {
    const bundle = join(base, id);
    if (!conmon) return void (await call(['create', '--bundle', bundle, id]));
    mkdirSync(join(bundle, 'persist'));
    await startMonitor(conmon, runc, stateRoot, id, { bundle, logPath: join(bundle, 'log'), pidFile: join(bundle, 'pid'), conmonPidFile: join(bundle, 'conmon.pid'), exitDir: exits, persistDir: join(bundle, 'persist'), socketDir: join(base, 'sockets') });
  };
  try {
    const t0 = performance.now();
    await inParallel(ids, options.parallel, async (id) => {
      await create(id);
      await call(['start', id]);
    });
    const startMs = performance.now() - t0;
    const t1 = performance.now();
    await inParallel(ids, options.parallel, (id) => call(['delete', '--force', id]).then(() => undefined));
    const teardownMs = performance.now() - t1;
    return { count: options.count, parallel: options.parallel, startMs, teardownMs };
  } finally {
    await inParallel(ids, 4, (id) => call(['delete', '--force', id]).then(() => undefined, () => undefined));
    rmSync(base, { recursive: true, force: true });
    removeParentCgroups(BARE_CGROUP_PARENT);
  }
}

/** runc removes each container's cgroup; the parent it made for them (empty by now) is ours to remove, in every hierarchy. */
function removeParentCgroups(name: string): void {
  const root = '/sys/fs/cgroup';
  const dirs = [join(root, name), ...readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name, name))];
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      /* absent, or not empty: left as it is */
    }
  }
}

/** A rootfs with Debian's static busybox and the applets the loop uses. */
export function busyboxRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(dir, 'bin', applet));
}

/** What OciRuntime writes for `sleep 3600` in busybox (network none, no limits). */
function runtimeSpec(layer: string, bundle: string, id: string): Record<string, unknown> {
  mkdirSync(join(bundle, 'upper'));
  mkdirSync(join(bundle, 'work'));
  const etc = join(bundle, 'etc');
  mkdirSync(etc);
  for (const f of ['hostname', 'hosts', 'resolv.conf']) writeFileSync(join(etc, f), f === 'hostname' ? `${id}\n` : '');
  return buildSpec({
    config: { name: 'main', image: 'busybox', command: ['sleep', '3600'] },
    image: {},
    hostname: id,
    process: { args: ['sleep', '3600'], env: ['PATH=/bin'], uid: 0, gid: 0, cwd: '/' },
    etcFiles: { hostname: join(etc, 'hostname'), hosts: join(etc, 'hosts'), resolvConf: join(etc, 'resolv.conf') },
    cgroupsPath: `/${BARE_CGROUP_PARENT}/${id}`,
    rootMount: { destination: '/', type: 'overlay', source: 'overlay', options: [`lowerdir=${layer}`, `upperdir=${join(bundle, 'upper')}`, `workdir=${join(bundle, 'work')}`] },
    nofile: nodeNofileLimit(readFileSync('/proc/self/limits', 'utf8')),
  });
}

function bareSpec(rootfs: string, id: string): Record<string, unknown> {
  return {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/sleep', '3600'], env: ['PATH=/bin'], cwd: '/', noNewPrivileges: true },
    root: { path: rootfs, readonly: true },
    hostname: id,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }], cgroupsPath: `/${BARE_CGROUP_PARENT}/${id}` },
  };
}

/** Started as the runtime driver starts runc (posix_spawn where built), so both sides pay the same for a process. */
async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  // runc create's container keeps the stdio it is given: /dev/null, so no pipe of ours stays open.
  if (args.includes('create')) {
    const exit = await spawnProcess(cmd, args, { fds: ['ignore', 'ignore', 'ignore'], cwd }).exited;
    if (exit.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${exit.error?.message ?? `exited ${exit.code ?? exit.signal}`}`);
    return '';
  }
  return (await runProcess(cmd, args, { cwd })).stdout;
}

/** Runs `fn` over `items`, at most `parallel` at once. */
export async function inParallel<T>(items: T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

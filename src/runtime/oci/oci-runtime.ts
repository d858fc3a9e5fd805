import { mkdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { spawnFallbackReason } from '../../lib/spawn.js';
import { DNS_LABEL } from '../../types/common.js';
import { containerConfigSchema, type ContainerConfig } from '../../types/container.js';
import { isOrchestrationError, OrchestrationError } from '../../types/errors.js';
import type { ContainerStatus } from '../../types/instance.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import type { ContainerId, ContainerRuntime, CreateContainerOptions, ExecOptions, ExecSession, LogOptions, NodeId, RuntimeCapabilities } from '../container-runtime.js';
import type { ImageStore } from '../images/image-store.js';
import type { ImageRecord } from '../images/image-types.js';
import { startMonitor } from './conmon.js';
import { checkIds, containerPaths, nodePaths, processStart, readExit, readMeta, readSmallFile, writeMeta, type ContainerMeta } from './container-files.js';
import { readLog } from './container-logs.js';
import { checkMounts, resolveUser, workingDirOf, writeEtcFiles } from './container-setup.js';
import { statusOf } from './container-status.js';
import { startExec } from './oci-exec.js';
import { buildSpec, composeArgs, composeEnv, nodeNofileLimit } from './oci-spec.js';
import { prepareRootfs, releaseRootfs } from './rootfs.js';
import { RuncCli } from './runc-cli.js';
import { monitorGone, resolveBinary, waitForExit } from './wait.js';

export interface OciRuntimeOptions {
  /** Directory the runtime owns: per node, its containers' bundles, logs and runc state. */
  dataDir: string;
  /** runc (default), crun or youki: a name on PATH or an absolute path. */
  runtimeBinary?: string;
  /** The monitor; Debian's conmon by default. */
  conmonBinary?: string;
  /** Silent when absent. */
  logger?: Logger;
  images: ImageStore;
  /** false forces the copy fallback for root filesystems. */
  overlay?: boolean;
  /** A container's log is truncated when it reaches this many bytes (default 64 MiB). */
  maxLogBytes?: number;
}

const DEFAULT_GRACE_MS = 10_000;
/** Bounds a chatty container's disk use; the agent keeps what it needs of older output. */
const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;
/** How long to wait for the exit to be recorded after SIGKILL: the kernel is quick; conmon too. */
const KILL_WAIT_MS = 10_000;
const MONITOR_EXIT_WAIT_MS = 2_000;
/** conmon's rename can lag its temp file by a while on a loaded node: look again for ~3 s, backing off. */
const EXIT_RECHECKS = 10;
const EXIT_RECHECK_MS = 50;

export function createOciRuntime(options: OciRuntimeOptions): ContainerRuntime {
  return new OciRuntime(options);
}

/**
 * ContainerRuntime over an OCI runtime binary with one conmon monitor per container. All state is in
 * files under dataDir (see container-files), so containers outlive this object and its process: a
 * new OciRuntime lists them, with the exit codes of those that ended meanwhile.
 */
export class OciRuntime implements ContainerRuntime {
  readonly name: string;
  readonly capabilities: RuntimeCapabilities = { exec: true, survivesAgentRestart: true, enforcesLimits: true, images: true };
  private readonly log: Logger;
  private readonly runtime: string;
  private readonly conmon: string;
  private readonly watchers = new Map<NodeId, FSWatcher>();
  private readonly exitListeners: Array<(node: NodeId, id: ContainerId) => void> = [];
  private readonly busy = new Map<string, Promise<void>>();
  /** Containers whose exit was announced, so that several watch events for one exit make one call. */
  private readonly notified = new Set<string>();
  private readonly nofile = nodeNofileLimit(readFileSync('/proc/self/limits', 'utf8'));

  constructor(private readonly options: OciRuntimeOptions) {
    this.runtime = resolveBinary(options.runtimeBinary ?? 'runc');
    this.conmon = resolveBinary(options.conmonBinary ?? 'conmon');
    this.name = `oci:${this.runtime.split('/').pop()}`;
    this.log = (options.logger ?? silentLogger).child({ component: 'oci-runtime', runtime: this.runtime });
    if (spawnFallbackReason) this.log.warn({ reason: spawnFallbackReason }, 'starting runc and conmon through child_process, which forks the whole process: slower per container');
    options.images.addRemovalGuard((image) => this.imageUser(image));
  }

  async initNode(nodeId: NodeId): Promise<void> {
    checkIds(nodeId, undefined);
    if (this.watchers.has(nodeId)) return;
    const n = nodePaths(this.options.dataDir, nodeId);
    for (const d of [n.containers, n.runcRoot, n.exits, n.sockets]) await mkdir(d, { recursive: true, mode: 0o700 });
    if (!this.watchers.has(nodeId)) {
      const w = watch(n.exits, (_event, file) => {
        if (file) void this.notifyExit(nodeId, file.toString());
      });
      this.watchers.set(nodeId, w);
    }
  }

  onExit(listener: (nodeId: NodeId, containerId: ContainerId) => void): void {
    this.exitListeners.push(listener);
  }

  async createContainer(nodeId: NodeId, id: ContainerId, input: ContainerConfig, options: CreateContainerOptions): Promise<ContainerId> {
    checkIds(nodeId, id);
    const parsed = containerConfigSchema.safeParse(input);
    if (!parsed.success) throw OrchestrationError.invalidInput(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), 'container');
    const config = parsed.data;
    await this.initNode(nodeId);
    const paths = containerPaths(this.options.dataDir, nodeId, id);
    const node = nodePaths(this.options.dataDir, nodeId);
    checkMounts(config, [this.runtime, this.conmon, this.options.dataDir]);
    const image = await this.image(config.image, options);
    // The bundle's small files are written synchronously, as container-files explains.
    try {
      mkdirSync(paths.dir, { mode: 0o700 });
    } catch {
      throw new OrchestrationError('RuntimeError', `container ${id} already exists on node ${nodeId}`);
    }
    const began = performance.now();
    try {
      rmSync(paths.exitCopy, { force: true });
      this.notified.delete(`${nodeId}/${id}`);
      const layers = await this.options.images.layers(image);
      const rootfs = await prepareRootfs(paths.dir, layers, this.log, this.options.overlay !== false);
      const hostname = options.hostname ?? (id.split('.')[0].toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/^-+|-+$/g, '') || 'container');
      if (!DNS_LABEL.test(hostname)) throw OrchestrationError.invalidInput([{ path: 'hostname', message: `"${hostname.slice(0, 70)}" is not a DNS-1123 label` }], 'container');
      const user = await resolveUser(rootfs.lookupRoots, config, image.config);
      const cwd = workingDirOf(config, image.config);
      const args = composeArgs(config, image.config);
      if (args.length === 0) throw new OrchestrationError('RuntimeError', 'ContainerCannotRun: neither the container nor its image gives a command');
      const etcFiles = writeEtcFiles(paths.etc, hostname, config.network === 'host');
      const cgroupsPath = `/orchestrator/${nodeId}/${id}`;
      const spec = buildSpec({ config, image: image.config, hostname, process: { args, env: composeEnv(config, image.config, hostname), cwd, ...user }, etcFiles, cgroupsPath, rootMount: rootfs.rootMount, nofile: this.nofile });
      writeFileSync(paths.config, JSON.stringify(spec));
      const meta: ContainerMeta = { id, nodeId, name: config.name, image: image.ref, imageDigest: image.digest, labels: options.labels, createdAt: new Date().toISOString(), cgroupsPath, rootfs: rootfs.mode };
      await writeMeta(paths, meta);
      mkdirSync(paths.persist);
      const prepared = performance.now();
      const pid = await startMonitor(this.conmon, this.runtime, node.runcRoot, id, {
        bundle: paths.dir, logPath: paths.log, pidFile: paths.pid, conmonPidFile: paths.conmonPid, exitDir: node.exits, persistDir: paths.persist, socketDir: node.sockets, logSizeMax: this.options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
      });
      const pidStart = await processStart(pid);
      const startedAt = new Date().toISOString();
      const created = performance.now();
      await this.runc(nodeId).start(id);
      const started = performance.now();
      await writeMeta(paths, { ...meta, pid, pidStart, startedAt } satisfies ContainerMeta);
      const ms = (a: number, b: number) => Math.round(b - a);
      this.log.info({ node: nodeId, container: id, image: image.ref, pid, prepareMs: ms(began, prepared), createMs: ms(prepared, created), startMs: ms(created, started) }, 'container started');
      return id;
    } catch (err) {
      await this.destroy(nodeId, id).catch((e: unknown) => this.log.warn({ container: id, err: (e as Error).message }, 'cleanup after failed create'));
      if (isOrchestrationError(err)) throw err;
      throw new OrchestrationError('RuntimeError', `ContainerCannotRun: ${(err as Error).message}`, { cause: err });
    }
  }

  stopContainer(nodeId: NodeId, id: ContainerId, gracePeriodMs = DEFAULT_GRACE_MS): Promise<void> {
    checkIds(nodeId, id);
    return this.exclusive(`${nodeId}/${id}`, async () => {
      const paths = containerPaths(this.options.dataDir, nodeId, id);
      const meta = await readMeta(paths);
      if (!meta || (await readExit(paths))) return;
      const runc = this.runc(nodeId);
      // No grace period means no SIGTERM (Kubernetes' force delete): the process would not get to act on it.
      if (gracePeriodMs > 0) {
        await runc.kill(id, 'TERM').catch(() => {});
        if (await waitForExit(paths, gracePeriodMs)) return;
        this.log.info({ container: id, gracePeriodMs }, 'grace period over, sending SIGKILL');
      }
      await runc.kill(id, 'KILL').catch(() => {});
      await waitForExit(paths, KILL_WAIT_MS);
    });
  }

  removeContainer(nodeId: NodeId, id: ContainerId): Promise<void> {
    checkIds(nodeId, id);
    return this.exclusive(`${nodeId}/${id}`, () => this.destroy(nodeId, id));
  }

  async getContainerStatus(nodeId: NodeId, id: ContainerId): Promise<ContainerStatus> {
    checkIds(nodeId, id);
    const paths = containerPaths(this.options.dataDir, nodeId, id);
    const meta = await readMeta(paths);
    if (!meta) throw OrchestrationError.notFound('container', id);
    return statusOf(meta, paths);
  }

  async listContainers(nodeId: NodeId): Promise<ContainerStatus[]> {
    checkIds(nodeId, undefined);
    const ids = await readdir(nodePaths(this.options.dataDir, nodeId).containers).catch(() => [] as string[]);
    const found = await Promise.all(ids.map(async (id) => {
      const paths = containerPaths(this.options.dataDir, nodeId, id);
      const meta = await readMeta(paths);
      // Containers never started (a create cut short) are listed too, so an agent can remove them.
      return meta ? { meta, status: await statusOf(meta, paths) } : undefined;
    }));
    return found.filter((f) => f !== undefined).sort((a, b) => a.meta.createdAt.localeCompare(b.meta.createdAt)).map((f) => f.status);
  }

  async logs(nodeId: NodeId, id: ContainerId, options: LogOptions): Promise<Readable> {
    const paths = containerPaths(this.options.dataDir, nodeId, id);
    const meta = (await this.getContainerStatus(nodeId, id)) && (await readMeta(paths))!;
    return readLog(paths.log, {
      tail: options.tail,
      follow: options.follow,
      signal: options.signal,
      watchDirs: [paths.dir, paths.persist],
      exited: async () => (await statusOf(meta, paths)).state === 'Stopped',
    });
  }

  async exec(nodeId: NodeId, id: ContainerId, command: string[], options: ExecOptions): Promise<ExecSession> {
    const st = await this.getContainerStatus(nodeId, id);
    if (st.state !== 'Running') throw new OrchestrationError('RuntimeError', `container ${id} is not running (${st.state})`);
    if (command.length === 0) throw OrchestrationError.invalidInput([{ path: 'command', message: 'is empty' }], 'exec');
    return startExec(this.runc(nodeId), id, command, options, this.log);
  }

  async close(): Promise<void> {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Kills if running, then removes runc state, cgroup, mounts and files; idempotent. */
  private async destroy(nodeId: NodeId, id: ContainerId): Promise<void> {
    const paths = containerPaths(this.options.dataDir, nodeId, id);
    const node = nodePaths(this.options.dataDir, nodeId);
    const runc = this.runc(nodeId);
    // `delete --force` kills a running container (SIGKILL) and removes its state and cgroup in one call.
    // It can fail for a container caught half-started (its init killed, say by the OOM killer, while
    // runc was starting it): kill it and try again, and if runc still has it, fail without removing
    // our files, so the container stays visible and the agent tries again.
    if (!(await this.deleteFromRunc(runc, id))) throw new OrchestrationError('RuntimeError', `runc could not delete container ${id}; will retry`);
    const conmonPid = Number.parseInt(readSmallFile(paths.conmonPid) ?? '', 10);
    // The monitor exits right after recording the exit; one that lingers (or waits on a failed create) is ended.
    if (conmonPid > 0 && !(await monitorGone(conmonPid, id, MONITOR_EXIT_WAIT_MS))) {
      try {
        process.kill(conmonPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await releaseRootfs(paths.dir);
    await rm(paths.dir, { recursive: true, force: true });
    await rm(paths.exitCopy, { force: true });
    await rm(`${node.sockets}/${id}`, { recursive: true, force: true });
  }

  private async deleteFromRunc(runc: RuncCli, id: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await runc.delete(id);
        return true;
      } catch (err) {
        const listed = await runc.list().catch(() => undefined);
        if (listed && !listed.some((c) => c.id === id)) return true;
        this.log.warn({ container: id, attempt, err: (err as Error).message }, 'runc delete failed; killing and retrying');
        await runc.kill(id, 'KILL').catch(() => {});
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    return false;
  }

  private async image(ref: string, options: CreateContainerOptions): Promise<ImageRecord> {
    const found = await this.options.images.resolve(ref);
    if (found) return found;
    options.onProgress?.({ phase: 'ImagePulling', message: `pulling ${ref}` });
    return this.options.images.pull(ref, { onProgress: options.onProgress, signal: options.signal });
  }

  private runc(nodeId: NodeId): RuncCli {
    return new RuncCli(this.runtime, nodePaths(this.options.dataDir, nodeId).runcRoot);
  }

  /**
   * A change in the node's exit dir. conmon writes `<id>.XXXXXX` and renames it to `<id>`, and the two
   * events may arrive as one, for either name: so both readings are tried, and a container whose exit
   * is not readable yet is looked at again shortly.
   */
  private async notifyExit(nodeId: NodeId, file: string, attempt = 0): Promise<void> {
    for (const id of new Set([file, file.replace(/\.[A-Za-z0-9]{6}$/, '')])) {
      const key = `${nodeId}/${id}`;
      const paths = containerPaths(this.options.dataDir, nodeId, id);
      if (this.notified.has(key) || !(await readMeta(paths))) continue;
      if (!(await readExit(paths))) {
        if (attempt < EXIT_RECHECKS) setTimeout(() => void this.notifyExit(nodeId, id, attempt + 1), EXIT_RECHECK_MS * (attempt + 1)).unref();
        continue;
      }
      this.notified.add(key);
      for (const l of this.exitListeners) l(nodeId, id);
    }
  }

  /** One stop/remove of a container at a time; a second caller waits for the first and then runs. */
  private async exclusive(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.busy.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.busy.set(key, next);
    try {
      await next;
    } finally {
      if (this.busy.get(key) === next) this.busy.delete(key);
    }
  }

  private async imageUser(image: ImageRecord): Promise<string | undefined> {
    const nodes = await readdir(`${this.options.dataDir}/nodes`).catch(() => [] as string[]);
    for (const nodeId of nodes) {
      for (const id of await readdir(nodePaths(this.options.dataDir, nodeId).containers).catch(() => [] as string[])) {
        const meta = await readMeta(containerPaths(this.options.dataDir, nodeId, id));
        if (meta?.imageDigest === image.digest) return `container ${id} on node ${nodeId}`;
      }
    }
    return undefined;
  }
}

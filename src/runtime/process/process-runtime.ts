import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../../types/container.js';
import type { ContainerStatus } from '../../types/instance.js';
import { OrchestrationError } from '../../types/errors.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import type { ContainerId, ContainerRuntime, CreateContainerOptions, ExecOptions, ExecSession, LogOptions, NodeId, RuntimeCapabilities } from '../container-runtime.js';
import { exitOf, LOG_FILE, readRecord, statusOfRecord, writeRecord, type ContainerRecord, type ExitRecord } from './container-record.js';
import { logStream, rotateIfOver, type FollowControl } from './log-file.js';
import { containerEnvironment, userOf } from './container-env.js';
import { execProcess } from './process-exec.js';
import { groupIsOurs, signalGroup, terminateGroup } from './process-group.js';
import { groupExists, isAlive } from '../../lib/proc-stat.js';
import { startProcess, type StartedProcess } from './start-process.js';
import { EXIT_FILE, installSupervisor, readExitFile, supervisorSupported } from './supervisor.js';

export interface ProcessRuntimeOptions {
  /** Root of the runtime's files: `nodes/<nodeId>/<containerId>/{state.json,output.log,work/}`. */
  dataDir: string;
  logger?: Logger;
  /** How often adopted containers (started by an earlier agent) are checked for exit, and logs for size. Default 1000. */
  pollMs?: number;
  /** A log over this size is rotated (one rotated file kept). Default 10 MiB, as the kubelet's containerLogMaxSize. */
  maxLogBytes?: number;
  /**
   * Run each container under a small /bin/sh supervisor (supervisor.ts) that records its exit status
   * even while no agent runs. Default: where supported; `false` runs commands directly (then an exit
   * that no agent saw has reason `Unknown`); `true` fails where unsupported.
   */
  supervise?: boolean;
}

/** One container as this runtime object tracks it. `child` is set only for processes it started itself. */
interface Tracked {
  dir: string;
  record: ContainerRecord;
  child?: ChildProcess;
  exited?: Promise<unknown>;
  stopping?: Promise<void>;
  killedAfterGraceMs?: number;
  followers: Set<FollowControl>;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,252}$/;

/**
 * Containers as plain host processes (Nomad's raw_exec): `command + args` run directly, never through a
 * shell, each in its own session and process group so that it outlives the agent and is stopped as a
 * whole. The image is ignored and nothing is isolated or limited. Output goes to a log file; a small
 * JSON record per container lets a new ProcessRuntime, after an agent restart, adopt what still runs.
 *
 * Exit codes are exact for processes this object started, and, thanks to the supervisor, for those
 * that ended while no agent ran; `Unknown` is left for exits nothing could record (docs/runtimes.md).
 * One ProcessRuntime object per data dir at a time: two would both adopt the same containers.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly capabilities: RuntimeCapabilities = { exec: true, survivesAgentRestart: true, enforcesLimits: false, images: false };
  private readonly nodes = new Map<NodeId, Map<ContainerId, Tracked>>();
  private readonly exitListeners: Array<(nodeId: NodeId, containerId: ContainerId) => void> = [];
  private readonly log: Logger;
  private poller?: ReturnType<typeof setInterval>;
  /** Path of the supervisor script, or undefined when containers run unsupervised. */
  private readonly supervisorScript?: string;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'process-runtime' });
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    if (options.supervise !== false && supervisorSupported()) this.supervisorScript = installSupervisor(options.dataDir);
    else if (options.supervise) throw new OrchestrationError('RuntimeError', 'the process supervisor needs /bin/sh and an `env` with --default-signal (GNU coreutils 8.31+)');
  }

  /** Creates the node's directory and adopts every container recorded there. Idempotent. */
  async initNode(nodeId: NodeId): Promise<void> {
    if (this.nodes.has(nodeId)) return;
    const nodeDir = this.nodeDir(nodeId);
    mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
    const containers = new Map<ContainerId, Tracked>();
    this.nodes.set(nodeId, containers);
    for (const entry of readdirSync(nodeDir)) {
      const dir = join(nodeDir, entry);
      const record = readRecord(dir);
      if (!record || record.containerId !== entry) {
        this.log.warn({ nodeId, dir }, 'removing a container directory without a readable record');
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const t: Tracked = { dir, record, followers: new Set() };
      containers.set(entry, t);
      if (!record.exit) {
        if (isAlive(record.process)) this.log.info({ nodeId, containerId: entry, pid: record.process.pid }, 'adopted running container');
        this.refreshAdopted(nodeId, t);
      }
    }
    this.ensurePoller();
  }

  async createContainer(nodeId: NodeId, containerId: ContainerId, config: ContainerConfig, options: CreateContainerOptions): Promise<ContainerId> {
    const containers = this.containersOf(nodeId);
    if (!SAFE_ID.test(containerId)) throw new OrchestrationError('RuntimeError', `container id "${containerId}" is not usable as a directory name`);
    const argv = [...(config.command ?? []), ...(config.args ?? [])];
    if (argv.length === 0) throw new OrchestrationError('RuntimeError', `container "${config.name}" has no command: the process runtime ignores images, so it needs "command"`);
    const dir = join(this.nodeDir(nodeId), containerId);
    const exists = new OrchestrationError('RuntimeError', `container "${containerId}" already exists on node "${nodeId}"`);
    if (containers.has(containerId)) throw exists;
    try {
      mkdirSync(dir, { mode: 0o700 }); // the claim on the id: fails for a concurrent create of the same id
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists;
      throw new OrchestrationError('RuntimeError', `cannot create the directory of container "${containerId}": ${(err as Error).message}`, { cause: err });
    }

    const workingDir = config.workingDir ?? join(dir, 'work');
    mkdirSync(join(dir, 'work'), { recursive: true, mode: 0o700 });
    const logPath = join(dir, LOG_FILE);
    const record: ContainerRecord = {
      version: 1,
      containerId,
      nodeId,
      name: config.name,
      labels: options.labels,
      config,
      ...(options.hostname ? { hostname: options.hostname } : {}),
      process: { pid: 0, startTime: '', bootId: '' },
      leader: { pid: 0, startTime: '', bootId: '' },
      supervised: this.supervisorScript !== undefined,
      logPath,
      workingDir,
      startedAt: new Date().toISOString(),
    };
    let started: StartedProcess;
    try {
      started = await startProcess({
        argv,
        cwd: workingDir,
        env: containerEnvironment(config, options.hostname),
        logPath,
        ...userOf(config.user),
        ...(this.supervisorScript ? { supervisor: { script: this.supervisorScript, exitFile: join(dir, EXIT_FILE) } } : {}),
        // Until the command's own PID is known, the record names the group leader for both.
        onLeader: (leader) => writeRecord(dir, { ...record, process: leader, leader }),
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    record.process = started.main;
    record.leader = started.leader;
    writeRecord(dir, record);
    const t: Tracked = { dir, record, child: started.child, exited: started.exited, followers: new Set() };
    containers.set(containerId, t);
    void started.exited.then(({ code, signal }) => this.onChildExit(nodeId, t, code, signal));
    started.child.unref();
    this.log.info({ nodeId, containerId, pid: started.main.pid, command: argv[0] }, 'started container');
    return containerId;
  }

  /** SIGTERM to the whole process group, SIGKILL after `gracePeriodMs`. Idempotent; concurrent calls share one stop. */
  async stopContainer(nodeId: NodeId, containerId: ContainerId, gracePeriodMs = 10_000): Promise<void> {
    const t = this.nodes.get(nodeId)?.get(containerId);
    if (!t) return;
    t.stopping ??= this.stopProcess(nodeId, t, gracePeriodMs).finally(() => {
      t.stopping = undefined;
    });
    return t.stopping;
  }

  /** Kills what is left at once (SIGKILL, like `docker rm -f`) and deletes the record and logs. Idempotent. */
  async removeContainer(nodeId: NodeId, containerId: ContainerId): Promise<void> {
    const containers = this.nodes.get(nodeId);
    const t = containers?.get(containerId);
    if (!containers || !t) return;
    await this.stopContainer(nodeId, containerId, 0);
    containers.delete(containerId);
    for (const f of t.followers) f.finish();
    rmSync(t.dir, { recursive: true, force: true });
    this.log.info({ nodeId, containerId }, 'removed container');
  }

  async getContainerStatus(nodeId: NodeId, containerId: ContainerId): Promise<ContainerStatus> {
    const t = this.nodes.get(nodeId)?.get(containerId);
    if (!t) throw OrchestrationError.notFound('container', `${nodeId}/${containerId}`);
    if (!t.child) this.refreshAdopted(nodeId, t);
    return statusOfRecord(t.record);
  }

  async listContainers(nodeId: NodeId): Promise<ContainerStatus[]> {
    const containers = this.nodes.get(nodeId);
    if (!containers) return [];
    const out: ContainerStatus[] = [];
    for (const t of containers.values()) {
      if (!t.child) this.refreshAdopted(nodeId, t);
      out.push(statusOfRecord(t.record));
    }
    return out;
  }

  async logs(nodeId: NodeId, containerId: ContainerId, options: LogOptions): Promise<Readable> {
    const t = this.nodes.get(nodeId)?.get(containerId);
    if (!t) throw OrchestrationError.notFound('container', `${nodeId}/${containerId}`);
    const follow = options.follow === true && !t.record.exit;
    let opened: Awaited<ReturnType<typeof logStream>>;
    try {
      opened = await logStream(t.record.logPath, { ...options, follow }, (c) => t.followers.delete(c));
    } catch {
      throw OrchestrationError.notFound('log of container', `${nodeId}/${containerId}`);
    }
    const { stream, control } = opened;
    if (follow) {
      t.followers.add(control);
      if (t.record.exit) control.finish(); // it ended while the stream was being opened
    }
    return stream;
  }

  async exec(nodeId: NodeId, containerId: ContainerId, command: string[], options: ExecOptions): Promise<ExecSession> {
    const t = this.nodes.get(nodeId)?.get(containerId);
    if (!t) throw OrchestrationError.notFound('container', `${nodeId}/${containerId}`);
    if (t.record.exit) throw new OrchestrationError('RuntimeError', `container "${containerId}" is not running`);
    return execProcess(command, t.record.workingDir, containerEnvironment(t.record.config, t.record.hostname), options);
  }

  onExit(listener: (nodeId: NodeId, containerId: ContainerId) => void): void {
    this.exitListeners.push(listener);
  }

  /** Forgets every container without touching it: they keep running for the next agent to adopt. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    for (const containers of this.nodes.values()) for (const t of containers.values()) for (const f of t.followers) f.finish();
    this.nodes.clear();
  }

  private async stopProcess(nodeId: NodeId, t: Tracked, graceMs: number): Promise<void> {
    const { leader } = t.record;
    if (!groupIsOurs(leader)) {
      // Nothing of ours is left to signal. Our own child may be a zombie whose exit event is on its way.
      if (t.exited) await t.exited;
      else this.refreshAdopted(nodeId, t, true);
      return;
    }
    if (t.record.exit && !groupExists(leader.pid)) return;
    const signal = await terminateGroup(leader, t.record.exit ? 0 : graceMs, () => {
      if (!t.record.exit && graceMs > 0) t.killedAfterGraceMs = graceMs;
    });
    if (t.exited) await t.exited;
    else if (!t.record.exit) {
      const code = readExitFile(t.dir);
      if (code !== undefined) this.recordExit(nodeId, t, exitOf(code, null, t.killedAfterGraceMs));
      else this.recordExit(nodeId, t, { exitCode: signal === 'SIGKILL' ? 137 : 143, signal, reason: 'Error', message: `stopped with ${signal}; the exact exit status of an adopted process was not recorded`, finishedAt: new Date().toISOString() });
    }
    this.log.info({ nodeId, containerId: t.record.containerId, signal }, 'stopped container');
  }

  private onChildExit(nodeId: NodeId, t: Tracked, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.recordExit(nodeId, t, exitOf(code, signal, t.killedAfterGraceMs));
  }

  /**
   * The one place a container becomes Stopped: persists the exit, kills what is left of its group
   * (the container ends with its main process, as in a PID namespace), ends log followers, tells listeners.
   */
  private recordExit(nodeId: NodeId, t: Tracked, exit: ExitRecord): void {
    if (t.record.exit) return;
    t.record.exit = exit;
    const { containerId } = t.record;
    if (this.nodes.get(nodeId)?.get(containerId) === t) {
      try {
        writeRecord(t.dir, t.record);
      } catch (err) {
        this.log.error({ nodeId, containerId, err }, 'could not persist a container exit');
      }
    }
    const { leader } = t.record;
    if (groupIsOurs(leader)) signalGroup(leader.pid, 'SIGKILL'); // no-op when the group is empty
    for (const f of t.followers) f.finish();
    this.log.info({ nodeId, containerId, exitCode: exit.exitCode, reason: exit.reason }, 'container exited');
    for (const l of this.exitListeners) {
      try {
        l(nodeId, containerId);
      } catch (err) {
        this.log.error({ err }, 'exit listener failed');
      }
    }
  }

  /**
   * For a container an earlier agent started: notices that it ended, with the status its supervisor
   * recorded, or `Unknown`. While the supervisor still runs it is about to record one: wait for it,
   * unless `final` (the group is known to be gone).
   */
  private refreshAdopted(nodeId: NodeId, t: Tracked, final = false): void {
    if (t.record.exit || (t.stopping && !final) || isAlive(t.record.process)) return;
    const code = readExitFile(t.dir);
    if (code !== undefined) {
      this.recordExit(nodeId, t, exitOf(code, null, undefined));
      return;
    }
    if (!final && t.record.supervised && isAlive(t.record.leader)) return;
    this.recordExit(nodeId, t, { reason: 'Unknown', message: 'the process ended while no agent was watching it, and its exit status was not recorded', finishedAt: new Date().toISOString() });
  }

  private ensurePoller(): void {
    if (this.poller || this.closed) return;
    const maxLogBytes = this.options.maxLogBytes ?? 10 * 1024 * 1024;
    this.poller = setInterval(() => {
      for (const [nodeId, containers] of this.nodes) {
        for (const t of containers.values()) {
          if (!t.child) this.refreshAdopted(nodeId, t);
          if (!t.record.exit && rotateIfOver(t.record.logPath, maxLogBytes)) this.log.debug({ nodeId, containerId: t.record.containerId }, 'rotated log');
        }
      }
    }, this.options.pollMs ?? 1000);
    this.poller.unref();
  }

  private containersOf(nodeId: NodeId): Map<ContainerId, Tracked> {
    const containers = this.nodes.get(nodeId);
    if (!containers) throw new OrchestrationError('RuntimeError', `node "${nodeId}" is not initialised on the process runtime`);
    return containers;
  }

  private nodeDir(nodeId: NodeId): string {
    if (!SAFE_ID.test(nodeId)) throw new OrchestrationError('RuntimeError', `node id "${nodeId}" is not usable as a directory name`);
    return join(this.options.dataDir, 'nodes', nodeId);
  }
}

import { Readable } from 'node:stream';
import type { ContainerConfig } from '../../types/container.js';
import type { ContainerStatus } from '../../types/instance.js';
import { OrchestrationError } from '../../types/errors.js';
import { systemClock, type Clock, type TimerHandle } from '../../types/clock.js';
import type { ContainerId, ContainerRuntime, CreateContainerOptions, LogOptions, NodeId, RuntimeCapabilities } from '../container-runtime.js';
import { parseSimScript } from './sim-script.js';
import { lastLines } from './last-lines.js';

export interface SimulatedRuntimeOptions {
  /** Drives every scripted delay; a ManualClock makes runs deterministic. */
  clock?: Clock;
}

type SimState = 'Starting' | 'Running' | 'Stopped';

/**
 * One container as an in-memory record. Kept small on purpose (150,000 of them fit in a bench):
 * times are epoch numbers, the config is not copied, output exists only when something was printed,
 * and a timer exists only while a script needs one.
 */
class SimContainer {
  state: SimState = 'Starting';
  startedAt = 0;
  finishedAt?: number;
  exitCode?: number;
  message?: string;
  log?: string;
  timer?: TimerHandle;
  /** Ends a scripted start delay early (stop or remove while Starting). */
  wake?: () => void;
  stopping?: Promise<void>;
  followers?: Set<(chunk: string | null) => void>;

  constructor(
    readonly id: ContainerId,
    readonly name: string,
    readonly labels: Record<string, string>,
    readonly ignoresSigterm: boolean,
  ) {}

  print(text: string): void {
    this.log = (this.log ?? '') + text;
    if (this.followers) for (const f of this.followers) f(text);
  }
}

/**
 * Containers without processes, for scale tests and benchmarks (kwok's idea): thousands of nodes in one
 * process, each container scripted by its SIM_* variables (see sim-script.ts) on the injected clock.
 * Never the runtime a feature is shown working on.
 *
 * Cost: listContainers(node) is O(containers on that node); status objects are built on demand.
 */
export class SimulatedRuntime implements ContainerRuntime {
  readonly name = 'simulated';
  readonly capabilities: RuntimeCapabilities = { exec: false, survivesAgentRestart: false, enforcesLimits: false, images: false };
  private readonly clock: Clock;
  private readonly nodes = new Map<NodeId, Map<ContainerId, SimContainer>>();
  private readonly exitListeners: Array<(nodeId: NodeId, containerId: ContainerId) => void> = [];

  constructor(options: SimulatedRuntimeOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async initNode(nodeId: NodeId): Promise<void> {
    if (!this.nodes.has(nodeId)) this.nodes.set(nodeId, new Map());
  }

  async createContainer(nodeId: NodeId, containerId: ContainerId, config: ContainerConfig, options: CreateContainerOptions): Promise<ContainerId> {
    const node = this.nodes.get(nodeId);
    if (!node) throw new OrchestrationError('RuntimeError', `node "${nodeId}" is not initialised on the simulated runtime`);
    if (node.has(containerId)) throw new OrchestrationError('RuntimeError', `container "${containerId}" already exists on node "${nodeId}"`);
    const script = parseSimScript(config.env);
    if (script.startError !== undefined) throw new OrchestrationError('RuntimeError', `container "${containerId}" could not start: ${script.startError}`);
    const c = new SimContainer(containerId, config.name, options.labels, script.ignoresSigterm);
    node.set(containerId, c);
    if (script.startDelayMs !== undefined && script.startDelayMs > 0) {
      await new Promise<void>((resolve) => {
        c.wake = resolve;
        c.timer = this.clock.setTimeout(resolve, script.startDelayMs!);
      });
      c.timer = undefined;
      c.wake = undefined;
      if (node.get(containerId) !== c) throw new OrchestrationError('RuntimeError', `container "${containerId}" was removed while starting`);
      if (c.state === 'Stopped') return containerId;
    }
    c.state = 'Running';
    c.startedAt = this.clock.now();
    if (script.startLog !== undefined) c.print(script.startLog);
    if (script.runForMs !== undefined) {
      c.timer = this.clock.setTimeout(() => {
        c.timer = undefined;
        if (script.exitLog !== undefined) c.print(script.exitLog);
        this.finish(nodeId, c, script.exitCode);
      }, script.runForMs);
    }
    return containerId;
  }

  async stopContainer(nodeId: NodeId, containerId: ContainerId, gracePeriodMs = 10_000): Promise<void> {
    const c = this.nodes.get(nodeId)?.get(containerId);
    if (!c || c.state === 'Stopped') return;
    if (c.stopping) return c.stopping;
    if (c.timer) this.clock.clearTimeout(c.timer);
    c.timer = undefined;
    if (gracePeriodMs <= 0) {
      this.finish(nodeId, c, 137, 'killed by SIGKILL (no grace period)');
      return;
    }
    if (!c.ignoresSigterm || c.state === 'Starting') {
      this.finish(nodeId, c, 143, 'terminated by SIGTERM');
      return;
    }
    c.stopping = new Promise<void>((resolve) => {
      c.timer = this.clock.setTimeout(() => {
        c.timer = undefined;
        this.finish(nodeId, c, 137, `killed by SIGKILL after the ${gracePeriodMs} ms grace period`);
        resolve();
      }, gracePeriodMs);
    });
    return c.stopping;
  }

  async removeContainer(nodeId: NodeId, containerId: ContainerId): Promise<void> {
    const node = this.nodes.get(nodeId);
    const c = node?.get(containerId);
    if (!node || !c) return;
    if (c.timer) this.clock.clearTimeout(c.timer);
    node.delete(containerId);
    if (c.state !== 'Stopped') this.finish(nodeId, c, 137, 'removed');
  }

  async getContainerStatus(nodeId: NodeId, containerId: ContainerId): Promise<ContainerStatus> {
    const c = this.nodes.get(nodeId)?.get(containerId);
    if (!c) throw OrchestrationError.notFound('container', `${nodeId}/${containerId}`);
    return statusOf(c);
  }

  async listContainers(nodeId: NodeId): Promise<ContainerStatus[]> {
    const node = this.nodes.get(nodeId);
    if (!node) return [];
    const out: ContainerStatus[] = [];
    for (const c of node.values()) out.push(statusOf(c));
    return out;
  }

  async logs(nodeId: NodeId, containerId: ContainerId, options: LogOptions): Promise<Readable> {
    const c = this.nodes.get(nodeId)?.get(containerId);
    if (!c) throw OrchestrationError.notFound('container', `${nodeId}/${containerId}`);
    const stream = new Readable({ read() {} });
    const head = lastLines(c.log ?? '', options.tail);
    if (head) stream.push(head);
    if (!options.follow || c.state === 'Stopped') {
      stream.push(null);
      return stream;
    }
    const follower = (chunk: string | null) => {
      if (chunk === null) end();
      else stream.push(chunk);
    };
    const end = () => {
      c.followers?.delete(follower);
      options.signal?.removeEventListener('abort', end);
      if (!stream.readableEnded) stream.push(null);
    };
    (c.followers ??= new Set()).add(follower);
    options.signal?.addEventListener('abort', end, { once: true });
    stream.once('close', end);
    return stream;
  }

  onExit(listener: (nodeId: NodeId, containerId: ContainerId) => void): void {
    this.exitListeners.push(listener);
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      for (const c of node.values()) {
        if (c.timer) this.clock.clearTimeout(c.timer);
        c.timer = undefined;
      }
    }
  }

  /** Ends a running container as if it had crashed: for tests and benches of failure handling. */
  failContainer(nodeId: NodeId, containerId: ContainerId, exitCode = 1, message?: string): void {
    const c = this.nodes.get(nodeId)?.get(containerId);
    if (!c || c.state === 'Stopped') return;
    if (c.timer) this.clock.clearTimeout(c.timer);
    c.timer = undefined;
    this.finish(nodeId, c, exitCode, message);
  }

  /** How many nodes and containers the runtime holds, for benches. */
  stats(): { nodes: number; containers: number; running: number } {
    let containers = 0;
    let running = 0;
    for (const node of this.nodes.values()) {
      containers += node.size;
      for (const c of node.values()) if (c.state !== 'Stopped') running++;
    }
    return { nodes: this.nodes.size, containers, running };
  }

  private finish(nodeId: NodeId, c: SimContainer, exitCode: number, message?: string): void {
    c.wake?.();
    c.state = 'Stopped';
    c.exitCode = exitCode;
    c.finishedAt = this.clock.now();
    if (message !== undefined) c.message = message;
    if (c.followers) for (const f of [...c.followers]) f(null);
    c.followers = undefined;
    for (const l of this.exitListeners) l(nodeId, c.id);
  }
}

function statusOf(c: SimContainer): ContainerStatus {
  const st: ContainerStatus = { containerId: c.id, name: c.name, state: c.state, restartCount: 0, labels: c.labels };
  if (c.state !== 'Starting') st.startedAt = new Date(c.startedAt).toISOString();
  if (c.state === 'Stopped') {
    st.exitCode = c.exitCode;
    st.reason = c.exitCode === 0 ? 'Completed' : 'Error';
    st.finishedAt = new Date(c.finishedAt!).toISOString();
    if (c.message !== undefined) st.message = c.message;
  }
  return st;
}

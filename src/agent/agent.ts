import type { Readable } from 'node:stream';
import type { ApiClient } from '../api/client.js';
import type { NodeImages } from '../api/context.js';
import { EventRecorder } from '../lib/event-recorder.js';
import { WorkQueue } from '../lib/work-queue.js';
import { CONTAINER_LABELS, containerIdFor, type ContainerRuntime, type ExecOptions, type ExecSession, type LogOptions } from '../runtime/container-runtime.js';
import { systemClock, type Clock } from '../types/clock.js';
import { OrchestrationError } from '../types/errors.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Logger } from '../types/logger.js';
import type { NodeRegistration } from '../types/node.js';
import { syncInstance } from './instance-sync.js';
import type { ProbeSupervisor } from './probes.js';
import { Prober } from './probes/prober.js';
import { RestartTracker } from './restart-tracker.js';
import { StatusReporter } from './status-reporter.js';
import { TemplateCache } from './template-cache.js';

export interface AgentOptions {
  client: ApiClient;
  runtime: ContainerRuntime;
  /** The nodes this agent runs (one for a real machine; thousands for a simulated pool). */
  nodes: Array<NodeRegistration & { id: string }>;
  log: Logger;
  clock?: Clock;
  probes?: ProbeSupervisor;
  /** How often the agent tells the control plane it is alive. */
  heartbeatMs?: number;
  /** How often every container is looked at even if nothing was heard (catches missed exits). */
  resyncMs?: number;
  /** Instances synced at once. */
  concurrency?: number;
  /** The runtime's image store, for the image commands (OCI runtime). */
  images?: NodeImages;
}

/**
 * A node agent (the kubelet of this system): registers its nodes, follows the instances bound to
 * them through the API's watch, drives the runtime to match, and reports what it sees. It keeps no
 * state of its own that matters: on restart it relists, finds its containers by label in the
 * runtime, and adopts them.
 */
export class Agent {
  private readonly client: ApiClient;
  private readonly runtime: ContainerRuntime;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly nodeIds: Set<string>;
  private readonly desired = new Map<string, WorkloadInstance>();
  /** The runtime's containers by instance, as last listed. */
  private readonly known = new Map<string, { nodeId: string; containerIds: Set<string> }>();
  private readonly queue: WorkQueue;
  private readonly reporter: StatusReporter;
  private readonly events: EventRecorder;
  private readonly restarts = new RestartTracker();
  private readonly templates: TemplateCache;
  private readonly probes: ProbeSupervisor;
  private watch?: { close(): void };
  private revision = 0;
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private stopped = false;

  constructor(private readonly opts: AgentOptions) {
    this.client = opts.client;
    this.runtime = opts.runtime;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log.child({ component: 'agent' });
    this.nodeIds = new Set(opts.nodes.map((n) => n.id));
    this.templates = new TemplateCache(opts.client);
    this.reporter = new StatusReporter(opts.client, this.log);
    this.events = new EventRecorder((batch) => this.client.postEvents(batch).then(() => undefined), this.log, 250);
    this.probes =
      opts.probes ??
      new Prober({
        runtime: this.runtime,
        clock: this.clock,
        log: this.log,
        onEvent: (e) => this.events.warning({ kind: 'Instance', id: e.instance.instanceId, name: e.instance.name }, e.reason, `container ${e.container}: ${e.message}`, { workloadId: e.instance.workloadId, nodeId: e.nodeId, source: `agent/${e.nodeId}` }),
      });
    this.probes.onChange((id) => this.queue.add(id));
    this.queue = new WorkQueue((id) => this.sync(id), { concurrency: opts.concurrency ?? 4, clock: this.clock, baseRetryMs: 500, maxRetryMs: 30_000 }, (id, err) =>
      this.log.warn({ instance: id, err: err instanceof Error ? err.message : String(err) }, 'instance sync failed; will retry'),
    );
    this.runtime.onExit?.((_node, cid) => this.queue.add(instanceOf(cid)));
  }

  get images(): NodeImages | undefined {
    return this.opts.images;
  }

  get nodes(): string[] {
    return [...this.nodeIds];
  }

  async start(): Promise<void> {
    for (const n of this.opts.nodes) await this.runtime.initNode(n.id);
    await this.register();
    await this.refreshKnown();
    await this.relist();
    this.every(this.opts.heartbeatMs ?? 5000, () => this.heartbeat());
    this.every(this.opts.resyncMs ?? 10_000, async () => {
      await this.refreshKnown();
      for (const id of new Set([...this.desired.keys(), ...this.known.keys()])) this.queue.add(id);
    });
    this.log.info({ nodes: this.nodeIds.size, runtime: this.runtime.name, adopted: this.known.size }, 'agent started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.watch?.close();
    this.queue.stop();
    this.probes.stop();
    await this.reporter.flush().catch(() => {});
    await this.events.flush();
  }

  /** Resolves once nothing is queued or being synced. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async logs(instanceId: string, container: string, options: LogOptions): Promise<Readable> {
    return this.runtime.logs(this.nodeOf(instanceId), containerIdFor(instanceId, container), options);
  }

  async exec(instanceId: string, container: string, command: string[], options: ExecOptions): Promise<ExecSession> {
    if (!this.runtime.exec) throw new OrchestrationError('RuntimeError', `the ${this.runtime.name} runtime cannot exec`);
    return this.runtime.exec(this.nodeOf(instanceId), containerIdFor(instanceId, container), command, options);
  }

  private nodeOf(instanceId: string): string {
    const node = this.desired.get(instanceId)?.nodeId ?? this.known.get(instanceId)?.nodeId;
    if (!node) throw OrchestrationError.notFound('instance on this node', instanceId);
    return node;
  }

  private async register(): Promise<void> {
    for (const n of this.opts.nodes) await this.client.registerNode(n);
  }

  private async heartbeat(): Promise<void> {
    const { unknown } = await this.client.heartbeat([...this.nodeIds]);
    // A node the control plane forgot (deleted, or a fresh store): register it again.
    for (const id of unknown) {
      const reg = this.opts.nodes.find((n) => n.id === id);
      if (reg) await this.client.registerNode(reg);
    }
  }

  private async refreshKnown(): Promise<void> {
    const fresh = new Map<string, { nodeId: string; containerIds: Set<string> }>();
    for (const nodeId of this.nodeIds) {
      for (const c of await this.runtime.listContainers(nodeId)) {
        const id = c.labels?.[CONTAINER_LABELS.instance] ?? instanceOf(c.containerId);
        let entry = fresh.get(id);
        if (!entry) fresh.set(id, (entry = { nodeId, containerIds: new Set() }));
        entry.containerIds.add(c.containerId);
      }
    }
    this.known.clear();
    for (const [k, v] of fresh) this.known.set(k, v);
  }

  /** Lists the instances bound to our nodes, then follows the watch from that revision. */
  private async relist(): Promise<void> {
    this.watch?.close();
    const single = this.nodeIds.size === 1 ? [...this.nodeIds][0] : undefined;
    const { items, revision } = await this.client.listInstances(single ? { node: single } : {});
    const mine = items.filter((i) => this.nodeIds.has(i.nodeId));
    const previous = new Set(this.desired.keys());
    this.desired.clear();
    for (const i of mine) this.desired.set(i.instanceId, i);
    this.revision = revision;
    this.reporter.resetSent();
    for (const id of new Set([...previous, ...this.desired.keys(), ...this.known.keys()])) this.queue.add(id);
    this.follow(single);
  }

  private follow(single: string | undefined): void {
    if (this.stopped) return;
    this.watch = this.client.watch<WorkloadInstance>('/api/v1/instances', this.revision, single ? { node: single } : {}, {
      onEvent: (type, inst, rev) => {
        this.revision = Math.max(this.revision, rev);
        if (type === 'PUT' && this.nodeIds.has(inst.nodeId)) {
          const prev = this.desired.get(inst.instanceId);
          this.desired.set(inst.instanceId, inst);
          // The echo of our own status report changes nothing we act on: no need to sync again.
          if (prev && prev.nodeId === inst.nodeId && prev.revision === inst.revision && prev.deletionRequestedAt === inst.deletionRequestedAt) return;
        } else if (this.desired.has(inst.instanceId) || this.known.has(inst.instanceId)) this.desired.delete(inst.instanceId);
        else return;
        this.queue.add(inst.instanceId);
      },
      onBookmark: (rev) => (this.revision = Math.max(this.revision, rev)),
      onEnd: (err) => {
        if (this.stopped) return;
        const relist = err?.code === 'Gone';
        this.log.warn({ err: err?.message, relist }, 'instance watch ended; reconnecting');
        setTimeout(() => {
          if (this.stopped) return;
          if (relist) void this.relist().catch((e) => this.onWatchFailure(e, single));
          else this.follow(single);
        }, relist ? 0 : 1000).unref();
      },
    });
  }

  private onWatchFailure(err: unknown, single: string | undefined): void {
    this.log.warn({ err: String(err) }, 'relist failed; retrying');
    setTimeout(() => void this.relist().catch((e) => this.onWatchFailure(e, single)), 2000).unref();
  }

  private async sync(instanceId: string): Promise<{ requeueAfterMs?: number } | void> {
    const desired = this.desired.get(instanceId);
    const known = this.known.get(instanceId);
    const nodeId = desired && this.nodeIds.has(desired.nodeId) ? desired.nodeId : known?.nodeId;
    if (!nodeId) return;
    const outcome = await syncInstance(
      {
        runtime: this.runtime,
        templates: this.templates,
        restarts: this.restarts,
        events: this.events,
        clock: this.clock,
        log: this.log,
        readiness: (id, c) => {
          // A running container this agent did not start (adopted after a restart) is probed from now on.
          if (desired) this.probes.containerStarted(nodeId, desired, c, containerIdFor(id, c.name));
          return this.probes.readiness(id, c);
        },
        containerStarted: (inst, c, cid) => this.probes.containerStarted(nodeId, inst, c, cid),
        containerGone: (cid) => this.probes.containerGone(cid),
        takeLivenessFailure: (cid) => this.probes.takeLivenessFailure(cid),
        preStop: (node, cid, spec, graceMs) => this.preStop(node, cid, spec, graceMs),
        progress: (report) => this.reporter.report(report),
      },
      nodeId,
      instanceId,
      desired,
      [...(known?.containerIds ?? [])],
    );
    if (outcome.present?.length) this.known.set(instanceId, { nodeId, containerIds: new Set(outcome.present) });
    else this.known.delete(instanceId);
    if (outcome.report) this.reporter.report(outcome.report);
    if (outcome.finalize) {
      this.reporter.forget(instanceId);
      await this.reporter.flush();
      await this.client.finalizeInstance(instanceId).catch((err) => {
        if (!(err instanceof OrchestrationError && err.code === 'NotFound')) throw err;
      });
      this.desired.delete(instanceId);
    }
    return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
  }

  private async preStop(nodeId: string, cid: string, spec: { preStop?: { exec: { command: string[] } } } | undefined, graceMs: number): Promise<void> {
    if (!spec?.preStop || !this.runtime.exec) return;
    const st = await this.runtime.getContainerStatus(nodeId, cid).catch(() => undefined);
    if (st?.state !== 'Running') return;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), graceMs);
    try {
      const session = await this.runtime.exec(nodeId, cid, spec.preStop.exec.command, { signal: abort.signal });
      session.stdout.resume();
      session.stderr.resume();
      await session.exitCode;
    } catch (err) {
      this.log.warn({ cid, err: String(err) }, 'pre-stop hook failed');
    } finally {
      clearTimeout(timer);
    }
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => void fn().catch((err) => this.log.warn({ err: String(err) }, 'periodic agent task failed')), ms);
    t.unref();
    this.timers.push(t);
  }
}

/** `web-x7k2p9qz.main` → `web-x7k2p9qz`. */
function instanceOf(containerId: string): string {
  const dot = containerId.lastIndexOf('.');
  return dot < 0 ? containerId : containerId.slice(0, dot);
}

import type { ClusterEvent, ClusterManager } from '../cluster/cluster-manager.js';
import { EventRecorder } from '../lib/event-recorder.js';
import { WorkQueue } from '../lib/work-queue.js';
import type { ScheduleRequest, Scheduler } from '../scheduler/scheduler.js';
import { isLive } from '../types/instance.js';
import { instanceHostPorts, instanceLabels, instanceRequests } from './instance-factory.js';
import type { ClusterStore } from '../store/cluster-store.js';
import { systemClock, type Clock, type TimerHandle } from '../types/clock.js';
import type { Logger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import { ClusterCache } from './cluster-cache.js';
import { ALWAYS_LEADER, type LeadershipGuard } from './write-batch.js';
import { WorkloadReconciler } from './workload-reconciler.js';

export interface OrchestratorOptions {
  store: ClusterStore;
  scheduler: Scheduler;
  clusterManager: ClusterManager;
  events: EventRecorder;
  log: Logger;
  leadership?: LeadershipGuard;
  clock?: Clock;
  /** Every workload is reconciled at least this often, whatever happened (the seed's timer). */
  resyncIntervalMs?: number;
  /** Workloads reconciled at once. */
  concurrency?: number;
}

export interface OrchestratorStats {
  workloads: number;
  instances: number;
  nodes: number;
  queueLength: number;
  reconciles: number;
  reconcileErrors: number;
}

/**
 * The seed's event loop: workload changes, cluster events and a periodic timer all become keys in
 * one work queue (one entry per workload, de-duplicated, retried with backoff), which the workload
 * reconciler drains. The only writer of desired placement; it acts only while it is the leader.
 */
export class Orchestrator {
  readonly cache: ClusterCache;
  private readonly queue: WorkQueue;
  private readonly reconciler: WorkloadReconciler;
  private readonly clock: Clock;
  private readonly log: Logger;
  private unsubscribe?: () => void;
  private resyncTimer?: TimerHandle;
  private started = false;

  constructor(private readonly opts: OrchestratorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log.child({ component: 'orchestrator' });
    const leadership = opts.leadership ?? ALWAYS_LEADER;
    this.cache = new ClusterCache(opts.store, {
      workloadChanged: (id) => this.enqueue(id, true),
      // Status news (Running, ready) waits behind placement work; an instance that stopped counting
      // (failed, gone) may need a replacement and does not.
      instanceChanged: (i, prev, deleted) => this.enqueue(i.workloadId, deleted || (prev !== undefined && isLive(prev) && !isLive(i))),
      nodeChanged: (n, prev, deleted) => this.onNodeChanged(n, prev, deleted),
    }, this.log);
    this.reconciler = new WorkloadReconciler({
      store: opts.store,
      cache: this.cache,
      scheduler: opts.scheduler,
      events: opts.events,
      leadership,
      clock: this.clock,
      log: this.log.child({ component: 'reconciler' }),
    });
    this.queue = new WorkQueue((id) => this.reconciler.reconcile(id), { concurrency: opts.concurrency ?? 4, clock: this.clock }, (id, err) =>
      this.log.warn({ workloadId: id, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed; will retry'),
    );
  }

  async start(): Promise<void> {
    await this.cache.start();
    this.unsubscribe = this.opts.clusterManager.subscribeToEvents((e) => void this.handleClusterEvent(e));
    await this.opts.clusterManager.initialize();
    this.started = true;
    this.resyncAll();
    this.log.info({ workloads: this.cache.workloads.size, instances: this.cache.instances.size, nodes: this.cache.nodes.size }, 'orchestrator started');
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.unsubscribe?.();
    this.queue.stop();
    await this.opts.clusterManager.shutdown();
    this.cache.stop();
    await this.opts.events.flush();
  }

  /** Queues a workload's reconcile; urgent ones (spec changes, lost replicas) go first. */
  enqueue(workloadId: string, urgent = false): void {
    if (this.started) this.queue.add(workloadId, urgent);
  }

  /** Resolves once every queued reconcile has run (tests and benchmarks wait on it). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The request the scheduler would get for one more instance of the workload (for `explain`). */
  scheduleRequestFor(workloadId: string): ScheduleRequest | undefined {
    const w = this.cache.workloads.get(workloadId);
    if (!w) return undefined;
    const live = this.cache.instancesOf(workloadId).filter((i) => isLive(i) && i.nodeId);
    return { workload: w, currentInstances: live, count: 1, requests: instanceRequests(w), hostPorts: instanceHostPorts(w), labels: instanceLabels(w) };
  }

  stats(): OrchestratorStats {
    return {
      workloads: this.cache.workloads.size,
      instances: this.cache.instances.size,
      nodes: this.cache.nodes.size,
      queueLength: this.queue.length,
      reconciles: this.queue.processed,
      reconcileErrors: this.queue.errors,
    };
  }

  private resyncAll(): void {
    for (const id of this.cache.workloadIds()) this.queue.add(id);
    this.resyncTimer = this.clock.setTimeout(() => this.resyncAll(), this.opts.resyncIntervalMs ?? 30_000);
    this.resyncTimer.unref?.();
  }

  /**
   * Cluster events carry the membership layer's view of a node. The stored node is brought in line
   * (the status is ours to write), and every workload with instances there — and every daemon — is
   * looked at again.
   */
  private async handleClusterEvent(e: ClusterEvent): Promise<void> {
    if (e.type === 'NodeRemoved') return this.touchNode(e.nodeId);
    const stored = this.cache.nodes.get(e.node.id);
    if (stored && stored.status !== e.node.status && this.reconcilerMayWrite()) {
      try {
        const updated = await this.opts.store.update(this.opts.store.nodes, e.node.id, (n) =>
          n.status === e.node.status ? undefined : { ...n, status: e.node.status, statusReason: e.node.statusReason, statusSince: new Date(this.clock.now()).toISOString() },
        );
        if (updated) {
          this.cache.nodes.applyLocal(updated, Number(updated.resourceVersion));
          const obj = { kind: 'Node' as const, id: updated.id, name: updated.name };
          const message = `node is ${updated.status}${updated.statusReason ? `: ${updated.statusReason}` : ''}`;
          if (updated.status === 'Ready') this.opts.events.normal(obj, 'NodeReady', message, { nodeId: updated.id });
          else this.opts.events.warning(obj, `Node${updated.status}`, message, { nodeId: updated.id });
        }
      } catch (err) {
        this.log.warn({ node: e.node.id, err: String(err) }, 'could not record node status');
      }
    }
    this.touchNode(e.node.id);
  }

  private onNodeChanged(n: Node, prev: Node | undefined, deleted: boolean): void {
    if (!deleted && prev && prev.status === n.status && prev.unschedulable === n.unschedulable && Boolean(prev.draining) === Boolean(n.draining) && JSON.stringify(prev.labels) === JSON.stringify(n.labels) && JSON.stringify(prev.taints) === JSON.stringify(n.taints)) return;
    this.touchNode(n.id);
  }

  /** Reconcile what a node change may affect: workloads placed there, pending ones, daemons. */
  private touchNode(nodeId: string): void {
    for (const i of this.cache.instancesOn(nodeId)) this.enqueue(i.workloadId, true);
    for (const w of this.cache.workloads.values()) if (w.kind === 'daemon' || w.status.pendingReplicas > 0) this.enqueue(w.workloadId, true);
  }

  private reconcilerMayWrite(): boolean {
    return (this.opts.leadership ?? ALWAYS_LEADER).isLeader();
  }
}

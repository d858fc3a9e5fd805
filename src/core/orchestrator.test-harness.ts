/**
 * Test support (not product code): a control plane's core on a MemoryStateStore with a
 * ManualClock, nodes written straight into the store, and helpers that play the agents' part
 * (report status, finalize deleted instances). Used by the core's component tests.
 */
import type { ClusterManager } from '../cluster/cluster-manager.js';
import { EventRecorder } from '../lib/event-recorder.js';
import { createScheduler } from '../scheduler/index.js';
import { ClusterStore } from '../store/cluster-store.js';
import type { Collection } from '../store/collection.js';
import { MemoryStateStore } from '../store/memory-store.js';
import type { StateStore } from '../store/state-store.js';
import { ManualClock } from '../types/clock.js';
import type { ClusterEventRecord } from '../types/event.js';
import { isLive, type WorkloadInstance } from '../types/instance.js';
import { silentLogger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import { WorkloadService } from '../api/workload-service.js';
import { Orchestrator } from './orchestrator.js';
import type { LeadershipGuard } from './write-batch.js';

export const START = Date.parse('2026-01-01T00:00:00.000Z');

const quietMembership: ClusterManager = {
  initialize: async () => {},
  getNode: async () => undefined,
  listNodes: async () => [],
  subscribeToEvents: () => () => {},
  shutdown: async () => {},
};

export class CoreHarness {
  readonly clock = new ManualClock(START);
  readonly store: ClusterStore;
  readonly workloads: WorkloadService;
  readonly events: ClusterEventRecord[] = [];
  readonly recorder = new EventRecorder(async (batch) => void this.events.push(...batch), silentLogger, 3_600_000);
  orchestrator?: Orchestrator;

  constructor(kv: StateStore = new MemoryStateStore()) {
    this.store = new ClusterStore(kv);
    this.workloads = new WorkloadService(this.store);
  }

  /** Starts the core; membership is silent unless the test brings its own (heartbeats, gossip). */
  async start(clusterManager: ClusterManager = quietMembership, leadership?: LeadershipGuard): Promise<Orchestrator> {
    this.orchestrator = new Orchestrator({ store: this.store, scheduler: createScheduler('default'), clusterManager, leadership, events: this.recorder, log: silentLogger, clock: this.clock });
    await this.orchestrator.start();
    await this.settle();
    return this.orchestrator;
  }

  async stop(): Promise<void> {
    await this.orchestrator?.stop();
  }

  async addNode(id: string, p: Partial<Node> = {}): Promise<void> {
    const size = { cpuCores: 8, memoryMb: 16_384, diskMb: 100_000 };
    const n: Node = { id, name: id, status: 'Ready', capacity: size, allocatable: size, labels: {}, taints: [], unschedulable: false, lastHeartbeat: new Date(this.clock.now()).toISOString(), createdAt: new Date(START).toISOString(), resourceVersion: '0', ...p };
    const res = await this.store.commit([this.store.nodes.create(n)]);
    if (!res.ok) throw new Error(`node ${id} exists`);
  }

  async setNode(id: string, change: Partial<Node>): Promise<void> {
    await this.store.update(this.store.nodes, id, (n) => ({ ...n, ...change }));
  }

  async instances(workloadId: string): Promise<WorkloadInstance[]> {
    return (await this.store.listInstances({ workloadId })).items;
  }

  async live(workloadId: string): Promise<WorkloadInstance[]> {
    return (await this.instances(workloadId)).filter(isLive);
  }

  /** What an agent reports for one instance. */
  async report(instanceId: string, change: Partial<WorkloadInstance>): Promise<void> {
    await this.store.update(this.store.instances, instanceId, (i) => ({ ...i, ...change }));
  }

  /** Every bound live instance of the workload starts and becomes ready (the agents' part). */
  async runAll(workloadId: string): Promise<void> {
    const iso = new Date(this.clock.now()).toISOString();
    for (const i of await this.live(workloadId)) if (i.nodeId && !(i.status === 'Running' && i.ready)) await this.report(i.instanceId, { status: 'Running', ready: true, startedAt: iso, readySince: iso });
  }

  /** Agents stop what was asked to stop and remove its record; returns the ids removed. */
  async finalizeDeletions(): Promise<string[]> {
    const gone: string[] = [];
    for (const i of (await this.store.listInstances()).items) {
      if (!i.deletionRequestedAt) continue;
      const res = await this.store.commit([this.store.instances.delete(i.instanceId, i.resourceVersion)]);
      if (res.ok) gone.push(i.instanceId);
    }
    return gone;
  }

  /** Advances the clock and lets what fell due run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settle();
  }

  /** Resolves when the caches hold what the store holds and no reconcile is queued or running. */
  async settle(): Promise<void> {
    const o = this.orchestrator!;
    let stableRounds = 0;
    for (let round = 0; round < 10_000; round++) {
      await new Promise((r) => setImmediate(r));
      await o.idle();
      const caught = (await caughtUp(this.store.workloads, o.cache.workloads)) && (await caughtUp(this.store.instances, o.cache.instances)) && (await caughtUp(this.store.nodes, o.cache.nodes));
      stableRounds = caught && o.stats().queueLength === 0 ? stableRounds + 1 : 0;
      if (stableRounds >= 3) return;
    }
    throw new Error('the core did not settle');
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

async function caughtUp<T extends { resourceVersion: string }>(coll: Collection<T>, cache: { get(id: string): T | undefined; size: number }): Promise<boolean> {
  const { items } = await coll.listAll();
  if (items.length !== cache.size) return false;
  return items.every((obj) => cache.get(coll.idOf(obj))?.resourceVersion === obj.resourceVersion);
}

export function spec(name: string, p: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, replicas: 1, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...p };
}

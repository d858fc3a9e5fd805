import { SchedulerState } from '../scheduler/index.js';
import type { ClusterStore } from '../store/cluster-store.js';
import { isLive, isTerminal, type WorkloadInstance } from '../types/instance.js';
import type { Logger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import type { WorkloadDefinition } from '../types/workload.js';
import { Informer } from '../store/informer.js';
import { InstanceTally } from '../types/instance-tally.js';

export interface CacheListener {
  workloadChanged(workloadId: string): void;
  instanceChanged(instance: WorkloadInstance, previous: WorkloadInstance | undefined, deleted: boolean): void;
  nodeChanged(node: Node, previous: Node | undefined, deleted: boolean): void;
}

/**
 * The control plane's view of the cluster: workloads, instances and nodes kept current by watches,
 * with the indexes reconciles need (instances by workload and by node) and the scheduler's
 * incremental per-node accounting. Reconciles read only from here; they write to the store.
 */
export class ClusterCache {
  readonly workloads: Informer<WorkloadDefinition>;
  readonly instances: Informer<WorkloadInstance>;
  readonly nodes: Informer<Node>;
  readonly scheduling = new SchedulerState();
  readonly tally = new InstanceTally();
  private readonly byWorkload = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();

  constructor(
    readonly store: ClusterStore,
    private readonly listener: CacheListener,
    log: Logger,
  ) {
    this.workloads = new Informer(store.kv, store.workloads, {
      // The scheduler keeps every workload's affinity rules, so another workload's required
      // anti-affinity keeps new instances away from its own (symmetry).
      onUpsert: (w) => {
        this.scheduling.upsertWorkload(w);
        listener.workloadChanged(w.workloadId);
      },
      onDelete: (w) => {
        this.scheduling.removeWorkload(w.workloadId);
        listener.workloadChanged(w.workloadId);
      },
    }, log);
    this.instances = new Informer(store.kv, store.instances, {
      onUpsert: (i, prev) => this.indexInstance(i, prev, false),
      onDelete: (i) => this.indexInstance(i, undefined, true),
    }, log);
    this.nodes = new Informer(store.kv, store.nodes, {
      onUpsert: (n, prev) => {
        this.scheduling.upsertNode(n);
        listener.nodeChanged(n, prev, false);
      },
      onDelete: (n) => {
        this.scheduling.removeNode(n.id);
        listener.nodeChanged(n, undefined, true);
      },
    }, log);
  }

  /** Nodes first, so instances bound to them find them in the scheduler's accounting. */
  async start(): Promise<void> {
    await this.nodes.start();
    await this.workloads.start();
    await this.instances.start();
  }

  stop(): void {
    this.instances.stop();
    this.workloads.stop();
    this.nodes.stop();
  }

  instancesOf(workloadId: string): WorkloadInstance[] {
    return this.collect(this.byWorkload.get(workloadId));
  }

  instancesOn(nodeId: string): WorkloadInstance[] {
    return this.collect(this.byNode.get(nodeId));
  }

  workloadIds(): string[] {
    return [...new Set([...this.workloads.values()].map((w) => w.workloadId).concat([...this.byWorkload.keys()]))];
  }

  private collect(ids: Set<string> | undefined): WorkloadInstance[] {
    const out: WorkloadInstance[] = [];
    if (!ids) return out;
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) out.push(i);
    }
    return out;
  }

  /**
   * An instance holds its node's resources from binding until its containers are gone. One that
   * waits for a preemption holds its nominated node's, so that the room made for it is not taken by
   * someone else first (Kubernetes' nominatedNodeName).
   */
  account(i: WorkloadInstance): void {
    if (i.nodeId && !isTerminal(i.status)) this.scheduling.bind(i);
    else if (!i.nodeId && i.nominatedNodeId && isLive(i)) this.scheduling.bind({ ...i, nodeId: i.nominatedNodeId });
    else this.scheduling.unbind(i.instanceId);
  }

  private indexInstance(i: WorkloadInstance, prev: WorkloadInstance | undefined, deleted: boolean): void {
    if (prev && prev.nodeId !== i.nodeId) this.byNode.get(prev.nodeId)?.delete(i.instanceId);
    if (prev) this.tally.remove(prev);
    if (deleted) this.tally.remove(i);
    else this.tally.add(i);
    if (deleted) {
      const w = this.byWorkload.get(i.workloadId);
      w?.delete(i.instanceId);
      if (w && w.size === 0) this.byWorkload.delete(i.workloadId);
      this.byNode.get(i.nodeId)?.delete(i.instanceId);
      this.scheduling.unbind(i.instanceId);
    } else {
      let w = this.byWorkload.get(i.workloadId);
      if (!w) this.byWorkload.set(i.workloadId, (w = new Set()));
      w.add(i.instanceId);
      if (i.nodeId) {
        let n = this.byNode.get(i.nodeId);
        if (!n) this.byNode.set(i.nodeId, (n = new Set()));
        n.add(i.instanceId);
      }
      this.account(i);
    }
    this.listener.instanceChanged(i, prev, deleted);
  }
}

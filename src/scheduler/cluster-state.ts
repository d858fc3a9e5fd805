import { isTerminal, type WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { InstanceAffinityTerm } from '../types/placement.js';
import { addInto, capacityVector, emptyVector, type ResourceVector } from '../types/resources.js';
import type { WorkloadDefinition } from '../types/workload.js';
import type { BoundInstance, ClusterSnapshot, InstanceIndex, NodeInfo, PlacedInstance } from './scheduler.js';

/** One node's accounting. The object stays the same across upserts of its node, so references hold. */
class NodeAccount implements NodeInfo {
  requested: ResourceVector = emptyVector();
  readonly instances = new Map<string, PlacedInstance>();
  readonly hostPorts = new Map<string, string>();
  allocatable: ResourceVector;

  constructor(public node: Node) {
    this.allocatable = capacityVector(node.allocatable);
  }
}

interface Binding {
  placed: PlacedInstance;
  nodeId: string;
  /** Set while the node is known; bindings to unknown nodes wait in `detached` for it. */
  account?: NodeAccount;
}

function placedOf(i: WorkloadInstance): PlacedInstance {
  return {
    instanceId: i.instanceId,
    workloadId: i.workloadId,
    labels: i.labels ?? {},
    priority: i.priority ?? 0,
    requests: i.requests ?? emptyVector(),
    hostPorts: i.hostPorts ?? [],
    createdAt: i.createdAt,
  };
}

/**
 * The scheduler's mutable view of the cluster, kept by the control plane: it implements
 * ClusterSnapshot, with per-node sums of requests, host ports and label indexes updated in O(1)
 * (times an instance's label count) per change, so no decision rescans every instance.
 *
 * Contract for the owner (the core's cache): call `upsertNode`/`removeNode` on every node write
 * and `bind`/`unbind` on every instance write, in any order. All four are idempotent. An instance
 * bound to a node not (yet) known is kept aside and counted once the node arrives; removing a
 * node keeps its instances aside the same way. Not safe to mutate while a `schedule` call reads
 * it (the core runs both on one thread, one after the other).
 */
export class SchedulerState implements ClusterSnapshot {
  private readonly accounts = new Map<string, NodeAccount>();
  private readonly bindings = new Map<string, Binding>();
  private readonly detached = new Map<string, Set<Binding>>();
  private readonly byLabel = new Map<string, Map<string, Binding>>();
  private readonly byWorkload = new Map<string, Map<string, Binding>>();
  private readonly antiAffinity = new Map<string, readonly InstanceAffinityTerm[]>();
  private sorted: NodeAccount[] | undefined;
  private readonly index: InstanceIndex;

  constructor() {
    const bound = (m: Map<string, Binding> | undefined) => boundOf(m?.values());
    this.index = {
      withLabel: (key, value) => bound(this.byLabel.get(labelPair(key, value))),
      ofWorkload: (workloadId) => bound(this.byWorkload.get(workloadId)),
      all: () => boundOf(this.bindings.values()),
      find: (instanceId) => {
        const b = this.bindings.get(instanceId);
        return b?.account ? { instance: b.placed, node: b.account } : undefined;
      },
      antiAffinityHolders: () => this.antiAffinityHolders(),
    };
  }

  get nodeCount(): number {
    return this.accounts.size;
  }

  nodes(): Iterable<NodeInfo> {
    return this.accounts.values();
  }

  node(id: string): NodeInfo | undefined {
    return this.accounts.get(id);
  }

  /**
   * The nodes sorted by id. The same array is returned until a node is added or removed or its
   * labels change, so derived data may be cached by the array's identity.
   */
  nodeList(): readonly NodeInfo[] {
    if (!this.sorted) this.sorted = [...this.accounts.values()].sort((a, b) => (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
    return this.sorted;
  }

  instanceIndex(): InstanceIndex {
    return this.index;
  }

  /** The instance's binding as counted now, if it is counted. */
  boundNodeOf(instanceId: string): string | undefined {
    return this.bindings.get(instanceId)?.nodeId;
  }

  upsertNode(node: Node): void {
    const existing = this.accounts.get(node.id);
    if (existing) {
      // A new list tells per-call caches keyed on it (topology domains) that labels may differ.
      if (!sameLabels(existing.node.labels, node.labels)) this.sorted = undefined;
      existing.node = node;
      existing.allocatable = capacityVector(node.allocatable);
      return;
    }
    const account = new NodeAccount(node);
    this.accounts.set(node.id, account);
    this.sorted = undefined;
    const waiting = this.detached.get(node.id);
    if (waiting) {
      this.detached.delete(node.id);
      for (const b of waiting) this.attach(b, account);
    }
  }

  removeNode(id: string): void {
    const account = this.accounts.get(id);
    if (!account) return;
    this.accounts.delete(id);
    this.sorted = undefined;
    for (const instanceId of [...account.instances.keys()]) {
      const b = this.bindings.get(instanceId);
      if (b) {
        this.detach(b);
        this.park(b);
      }
    }
  }

  /**
   * Counts `instance` on its node from now on, replacing what was counted for it before (moving
   * it if its node changed). An instance with no node, or in a terminal status, is unbound instead:
   * it holds nothing.
   */
  bind(instance: WorkloadInstance): void {
    if (!instance.nodeId || isTerminal(instance.status)) {
      this.unbind(instance.instanceId);
      return;
    }
    this.unbind(instance.instanceId);
    const b: Binding = { placed: placedOf(instance), nodeId: instance.nodeId };
    this.bindings.set(instance.instanceId, b);
    for (const [k, v] of Object.entries(b.placed.labels)) indexAdd(this.byLabel, labelPair(k, v), b);
    indexAdd(this.byWorkload, b.placed.workloadId, b);
    const account = this.accounts.get(b.nodeId);
    if (account) this.attach(b, account);
    else this.park(b);
  }

  /** Stops counting the instance. A no-op for an instance never bound. */
  unbind(instanceId: string): void {
    const b = this.bindings.get(instanceId);
    if (!b) return;
    this.bindings.delete(instanceId);
    for (const [k, v] of Object.entries(b.placed.labels)) indexRemove(this.byLabel, labelPair(k, v), instanceId);
    indexRemove(this.byWorkload, b.placed.workloadId, instanceId);
    if (b.account) this.detach(b);
    else this.detached.get(b.nodeId)?.delete(b);
  }

  /**
   * Records a workload's required anti-affinity terms, so that placing another workload's
   * instance also respects them (anti-affinity is symmetric, as in Kubernetes). Call on every
   * workload write; `removeWorkload` on delete.
   */
  upsertWorkload(workload: Pick<WorkloadDefinition, 'workloadId' | 'affinity'>): void {
    const terms = workload.affinity?.instanceAntiAffinity?.required;
    if (terms && terms.length > 0) this.antiAffinity.set(workload.workloadId, terms);
    else this.antiAffinity.delete(workload.workloadId);
  }

  removeWorkload(workloadId: string): void {
    this.antiAffinity.delete(workloadId);
  }

  private *antiAffinityHolders(): Iterable<{ workloadId: string; terms: readonly InstanceAffinityTerm[] }> {
    for (const [workloadId, terms] of this.antiAffinity) if (this.byWorkload.has(workloadId)) yield { workloadId, terms };
  }

  private attach(b: Binding, account: NodeAccount): void {
    b.account = account;
    account.instances.set(b.placed.instanceId, b.placed);
    addInto(account.requested, b.placed.requests, 1);
    for (const p of b.placed.hostPorts) account.hostPorts.set(p, b.placed.instanceId);
  }

  private detach(b: Binding): void {
    const account = b.account!;
    b.account = undefined;
    account.instances.delete(b.placed.instanceId);
    addInto(account.requested, b.placed.requests, -1);
    for (const p of b.placed.hostPorts) if (account.hostPorts.get(p) === b.placed.instanceId) account.hostPorts.delete(p);
  }

  private park(b: Binding): void {
    let set = this.detached.get(b.nodeId);
    if (!set) this.detached.set(b.nodeId, (set = new Set()));
    set.add(b);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function labelPair(key: string, value: string): string {
  return `${key}=${value}`;
}

function indexAdd(index: Map<string, Map<string, Binding>>, key: string, b: Binding): void {
  let m = index.get(key);
  if (!m) index.set(key, (m = new Map()));
  m.set(b.placed.instanceId, b);
}

function indexRemove(index: Map<string, Map<string, Binding>>, key: string, instanceId: string): void {
  const m = index.get(key);
  if (!m) return;
  m.delete(instanceId);
  if (m.size === 0) index.delete(key);
}

/** Bindings whose node is known, as BoundInstances. */
function* boundOf(bindings: Iterable<Binding> | undefined): Iterable<BoundInstance> {
  if (!bindings) return;
  for (const b of bindings) if (b.account) yield { instance: b.placed, node: b.account };
}

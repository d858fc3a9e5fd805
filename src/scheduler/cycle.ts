import type { Node } from '../types/node.js';
import { PlacementOverlay } from './placement-overlay.js';
import { CompiledSelector, nodeLabel } from './selectors.js';
import type { BoundInstance, ClusterSnapshot, InstanceIndex, NodeInfo, ScheduleRequest } from './scheduler.js';

/** Cluster-wide policy of the default scheduler. */
export interface SchedulingPolicy {
  /**
   * `spread` favours the least allocated nodes (Kubernetes' default LeastAllocated): load stays
   * even and a node failure hits fewer instances. `binpack` favours the most allocated ones
   * (MostAllocated): fewer nodes busy, whole nodes left free for large instances.
   */
  resourceStrategy: 'spread' | 'binpack';
}

/**
 * The topology domains of one key over the call's nodes: a dense id per distinct value, and each
 * node's domain id (-1 when the node lacks the key), so counting per domain is array indexing.
 */
export class DomainMap {
  readonly ofNode: Int32Array;
  readonly names: string[] = [];
  readonly idOf = new Map<string, number>();
  /** Every node is a domain of its own (a hostname key): what is counted per domain changes per node. */
  readonly perNode: boolean;

  constructor(readonly topologyKey: string, nodes: readonly NodeInfo[]) {
    this.ofNode = new Int32Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const v = nodeLabel(nodes[i].node, topologyKey);
      if (v === undefined) {
        this.ofNode[i] = -1;
        continue;
      }
      let id = this.idOf.get(v);
      if (id === undefined) {
        id = this.names.length;
        this.names.push(v);
        this.idOf.set(v, id);
      }
      this.ofNode[i] = id;
    }
    this.perNode = this.names.length === nodes.length;
  }

  domainOf(node: Node): number {
    const v = nodeLabel(node, this.topologyKey);
    return v === undefined ? -1 : this.idOf.get(v) ?? -1;
  }
}

/**
 * Matching instances per topology domain (a zone, a node…) for one label selector and topology
 * key, counted once per call from the index and kept current as the call places instances.
 */
export class DomainCounter {
  readonly counts: Int32Array;
  total = 0;

  constructor(
    readonly domains: DomainMap,
    /** Whether instances this call places match the selector (then each placement counts). */
    readonly countsIncoming: boolean,
  ) {
    this.counts = new Int32Array(domains.names.length);
  }

  get topologyKey(): string {
    return this.domains.topologyKey;
  }

  /** Matching instances in the domain of the call's node `i`. */
  countAt(i: number): number {
    const d = this.domains.ofNode[i];
    return d < 0 ? 0 : this.counts[d];
  }

  add(node: Node, n = 1): void {
    const d = this.domains.domainOf(node);
    if (d < 0) return;
    this.counts[d] += n;
    this.total += n;
  }

  addAt(i: number): void {
    const d = this.domains.ofNode[i];
    if (d < 0) return;
    this.counts[d]++;
    this.total++;
  }
}

/** Topology domains by node list (a snapshot's list lives until a node or its labels change). */
const domainCache = new WeakMap<readonly NodeInfo[], Map<string, DomainMap>>();

/** Which instances a counter counts: a label selector, or the workload's own copies. */
export type CounterSource = CompiledSelector | 'own';

/**
 * The state of one schedule call, shared by the plugins: the request, the nodes in id order, the
 * decisions made so far (overlay) and the domain counters that the plugins asked for.
 */
export class Cycle {
  readonly overlay = new PlacementOverlay();
  readonly labels: Record<string, string>;
  readonly index: InstanceIndex;
  /** How many instances the call has placed so far, and where the last one went. */
  placements = 0;
  /** The call's index of the node that got the last placement, -1 before the first. */
  lastPlaced = -1;
  private readonly memos = new Map<object, unknown>();
  private readonly counters = new Map<string, DomainCounter>();
  private ownPerNode: Map<string, number> | undefined;
  /** The request's `placing` instances: not counted anywhere during the call. */
  private readonly setAside: ReadonlySet<string>;

  constructor(
    readonly request: ScheduleRequest,
    readonly snapshot: ClusterSnapshot,
    readonly nodes: readonly NodeInfo[],
    readonly policy: SchedulingPolicy,
  ) {
    this.labels = request.labels ?? request.workload.labels;
    this.index = snapshot.instanceIndex?.() ?? indexByScan(nodes);
    this.setAside = setAsidePlacing(request, this.index, this.overlay);
  }

  /** Instances the call has placed on a node so far. */
  placedOn(nodeId: string): number {
    return this.overlay.get(nodeId)?.count ?? 0;
  }

  /** The counter of instances matching `source` per domain of `topologyKey`, made on first use. */
  counter(source: CounterSource, topologyKey: string): DomainCounter {
    const id = `${source === 'own' ? 'own' : source.key}@${topologyKey}`;
    let c = this.counters.get(id);
    if (c) return c;
    const matchesIncoming = source === 'own' || source.matches(this.labels);
    c = new DomainCounter(this.domains(topologyKey), matchesIncoming);
    for (const b of this.matching(source)) c.add(b.node.node);
    this.counters.set(id, c);
    return c;
  }

  /** The domains of a topology key over the call's nodes, made on first use and kept as long as the node list. */
  domains(topologyKey: string): DomainMap {
    let byKey = domainCache.get(this.nodes);
    if (!byKey) domainCache.set(this.nodes, (byKey = new Map()));
    let m = byKey.get(topologyKey);
    if (!m) byKey.set(topologyKey, (m = new DomainMap(topologyKey, this.nodes)));
    return m;
  }

  /** Per-call memo for plugins that share work (a spread constraint's filter and score). */
  memo<T>(key: object, make: () => T): T {
    let v = this.memos.get(key) as T | undefined;
    if (v === undefined) this.memos.set(key, (v = make()));
    return v;
  }

  /** The workload's own live instances on a node, bound before the call or placed by it. */
  ownOn(nodeId: string): number {
    if (!this.ownPerNode) {
      this.ownPerNode = new Map();
      for (const b of this.matching('own')) this.ownPerNode.set(b.node.node.id, (this.ownPerNode.get(b.node.node.id) ?? 0) + 1);
    }
    return (this.ownPerNode.get(nodeId) ?? 0) + this.placedOn(nodeId);
  }

  /** Records a decision on the call's node `i`: the overlay and every counter the new instance matches. */
  place(i: number): void {
    this.overlay.place(this.nodes[i].node.id, this.request.requests, this.request.hostPorts);
    this.placements++;
    this.lastPlaced = i;
    for (const c of this.counters.values()) if (c.countsIncoming) c.addAt(i);
  }

  /**
   * Bound instances matching `source`, plus the request's current instances that the snapshot
   * does not count yet (bound in the store a moment ago), so a workload's own copies are never
   * missed by spread and anti-affinity.
   */
  private *matching(source: CounterSource): Iterable<BoundInstance> {
    const workloadId = this.request.workload.workloadId;
    const seen = source === 'own' ? this.index.ofWorkload(workloadId) : source.candidates(this.index);
    for (const b of seen) if (!this.setAside.has(b.instance.instanceId)) yield b;
    for (const i of this.request.currentInstances) {
      if (!i.nodeId) continue;
      const node = this.snapshot.node(i.nodeId);
      if (!node || node.instances.has(i.instanceId) || this.setAside.has(i.instanceId)) continue;
      if (source === 'own' ? i.workloadId === workloadId : source.matches(i.labels ?? {})) {
        yield { instance: { instanceId: i.instanceId, workloadId: i.workloadId, labels: i.labels ?? {}, priority: i.priority, requests: i.requests, hostPorts: i.hostPorts, createdAt: i.createdAt }, node };
      }
    }
  }
}

/** Releases what the snapshot holds for the instances the request places; returns their ids. */
export function setAsidePlacing(request: ScheduleRequest, index: InstanceIndex, overlay: PlacementOverlay): ReadonlySet<string> {
  const ids = new Set(request.placing ?? []);
  for (const id of ids) {
    const b = index.find(id);
    if (b) overlay.release(b.node.node.id, b.instance);
  }
  return ids;
}

/** An index built by scanning, for snapshots that keep none (tests, small clusters). */
export function indexByScan(nodes: readonly NodeInfo[]): InstanceIndex {
  const all: BoundInstance[] = [];
  for (const node of nodes) for (const instance of node.instances.values()) all.push({ instance, node });
  return {
    withLabel: (k, v) => all.filter((b) => b.instance.labels[k] === v),
    ofWorkload: (id) => all.filter((b) => b.instance.workloadId === id),
    all: () => all,
    find: (id) => all.find((b) => b.instance.instanceId === id),
    antiAffinityHolders: () => [],
  };
}

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
 * Matching instances per topology domain (a zone, a node…) for one label selector and topology
 * key, counted once per call from the index and kept current as the call places instances.
 */
export class DomainCounter {
  readonly counts = new Map<string, number>();
  total = 0;

  constructor(
    readonly topologyKey: string,
    /** Whether instances this call places match the selector (then each placement counts). */
    readonly countsIncoming: boolean,
  ) {}

  countOn(node: Node): number {
    const d = nodeLabel(node, this.topologyKey);
    return d === undefined ? 0 : this.counts.get(d) ?? 0;
  }

  add(node: Node, n = 1): void {
    const d = nodeLabel(node, this.topologyKey);
    if (d === undefined) return;
    this.counts.set(d, (this.counts.get(d) ?? 0) + n);
    this.total += n;
  }
}

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
  lastPlaced: NodeInfo | undefined;
  private readonly counters = new Map<string, DomainCounter>();
  private ownPerNode: Map<string, number> | undefined;

  constructor(
    readonly request: ScheduleRequest,
    readonly snapshot: ClusterSnapshot,
    readonly nodes: readonly NodeInfo[],
    readonly policy: SchedulingPolicy,
  ) {
    this.labels = request.labels ?? request.workload.labels;
    this.index = snapshot.instanceIndex?.() ?? scanIndex(nodes);
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
    c = new DomainCounter(topologyKey, matchesIncoming);
    for (const b of this.matching(source)) c.add(b.node.node);
    this.counters.set(id, c);
    return c;
  }

  /** The workload's own live instances on a node, bound before the call or placed by it. */
  ownOn(nodeId: string): number {
    if (!this.ownPerNode) {
      this.ownPerNode = new Map();
      for (const b of this.matching('own')) this.ownPerNode.set(b.node.node.id, (this.ownPerNode.get(b.node.node.id) ?? 0) + 1);
    }
    return (this.ownPerNode.get(nodeId) ?? 0) + this.placedOn(nodeId);
  }

  /** Records a decision: the overlay and every counter the new instance matches. */
  place(info: NodeInfo): void {
    this.overlay.place(info.node.id, this.request.requests, this.request.hostPorts);
    this.placements++;
    this.lastPlaced = info;
    for (const c of this.counters.values()) if (c.countsIncoming) c.add(info.node);
  }

  /**
   * Bound instances matching `source`, plus the request's current instances that the snapshot
   * does not count yet (bound in the store a moment ago), so a workload's own copies are never
   * missed by spread and anti-affinity.
   */
  private *matching(source: CounterSource): Iterable<BoundInstance> {
    const workloadId = this.request.workload.workloadId;
    const seen = source === 'own' ? this.index.ofWorkload(workloadId) : source.candidates(this.index);
    yield* seen;
    for (const i of this.request.currentInstances) {
      if (!i.nodeId) continue;
      const node = this.snapshot.node(i.nodeId);
      if (!node || node.instances.has(i.instanceId)) continue;
      if (source === 'own' ? i.workloadId === workloadId : source.matches(i.labels ?? {})) {
        yield { instance: { instanceId: i.instanceId, workloadId: i.workloadId, labels: i.labels ?? {}, priority: i.priority, requests: i.requests, hostPorts: i.hostPorts, createdAt: i.createdAt }, node };
      }
    }
  }
}

/** An index built by scanning, for snapshots that keep none (tests, small clusters). */
function scanIndex(nodes: readonly NodeInfo[]): InstanceIndex {
  const all: BoundInstance[] = [];
  for (const node of nodes) for (const instance of node.instances.values()) all.push({ instance, node });
  return {
    withLabel: (k, v) => all.filter((b) => b.instance.labels[k] === v),
    ofWorkload: (id) => all.filter((b) => b.instance.workloadId === id),
    all: () => all,
    antiAffinityHolders: () => [],
  };
}

import type { ClusterStore } from '../store/cluster-store.js';
import { Informer } from '../store/informer.js';
import { systemClock, type Clock, type TimerHandle } from '../types/clock.js';
import type { Logger } from '../types/logger.js';
import type { Node, NodeStatus } from '../types/node.js';
import type { ClusterEvent, ClusterEventListener, ClusterManager } from './cluster-manager.js';

export interface HeartbeatTimeouts {
  /** No heartbeat seen for this long: NotReady (new work stops going there). */
  notReadyAfterMs: number;
  /** No heartbeat for this long: Down (its instances are replaced elsewhere). */
  downAfterMs: number;
  /** How often nodes are checked. */
  checkEveryMs: number;
}

/**
 * Kubernetes' node-lease numbers scaled to a small cluster: agents heartbeat every 5 s, three missed
 * beats make a node NotReady, eight make it Down. A kill -9 of an agent is thus acted on within
 * about 40 s without gossip; with gossip (GossipClusterManager) detection takes a few seconds.
 */
export const DEFAULT_HEARTBEAT_TIMEOUTS: HeartbeatTimeouts = { notReadyAfterMs: 15_000, downAfterMs: 40_000, checkEveryMs: 1_000 };

/**
 * Membership from node records and agent heartbeats in the state store: the single-machine default,
 * and the fallback where gossip is not configured. Its view is the stored node with its status
 * re-derived from heartbeat age; the core writes that status back, so every reader agrees.
 *
 * Age is measured from when this process *saw* the heartbeat change, not from the timestamp in the
 * record, so a control plane that was itself down for a minute does not declare every node Down at
 * start (Kubernetes' node lifecycle controller does the same).
 */
export class StoreClusterManager implements ClusterManager {
  private readonly informer: Informer<Node>;
  private readonly listeners = new Set<ClusterEventListener>();
  private readonly seenBeat = new Map<string, { beat: string; at: number }>();
  private readonly derived = new Map<string, NodeStatus>();
  private timer?: TimerHandle;
  private stopped = false;

  constructor(
    store: ClusterStore,
    private readonly log: Logger,
    private readonly timeouts: HeartbeatTimeouts = DEFAULT_HEARTBEAT_TIMEOUTS,
    private readonly clock: Clock = systemClock,
  ) {
    this.informer = new Informer(store.kv, store.nodes, {
      onUpsert: (n, prev) => {
        this.observe(n);
        // A heartbeat (or a label change) of a node whose health nobody needs to hear about again:
        // no event. Thousands of nodes beat every few seconds; the core learns field changes from
        // its own cache.
        if (prev && this.statusOf(n) === n.status && this.derived.get(n.id) === n.status) return;
        this.emit(prev ? { type: 'NodeUpdated', node: this.view(n) } : { type: 'NodeAdded', node: this.view(n) });
      },
      onDelete: (n) => {
        this.seenBeat.delete(n.id);
        this.derived.delete(n.id);
        this.emit({ type: 'NodeRemoved', nodeId: n.id });
      },
    }, log);
  }

  async initialize(): Promise<void> {
    await this.informer.start();
    this.schedule();
  }

  async getNode(nodeId: string): Promise<Node | undefined> {
    const n = this.informer.get(nodeId);
    return n && this.view(n);
  }

  async listNodes(): Promise<Node[]> {
    return [...this.informer.values()].map((n) => this.view(n));
  }

  subscribeToEvents(listener: ClusterEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.informer.stop();
  }

  /** Re-derives every node's status now (the timer does this every checkEveryMs). */
  check(): void {
    for (const n of this.informer.values()) {
      const status = this.statusOf(n);
      if (this.derived.get(n.id) === status) continue;
      this.derived.set(n.id, status);
      if (status !== n.status) this.log.info({ node: n.name, from: n.status, to: status }, 'node status changed');
      this.emit({ type: 'NodeUpdated', node: this.view(n) });
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.check();
      this.schedule();
    }, this.timeouts.checkEveryMs);
    this.timer.unref?.();
  }

  private observe(n: Node): void {
    const seen = this.seenBeat.get(n.id);
    if (!seen || seen.beat !== n.lastHeartbeat) this.seenBeat.set(n.id, { beat: n.lastHeartbeat, at: this.clock.now() });
  }

  private statusOf(n: Node): NodeStatus {
    const seen = this.seenBeat.get(n.id);
    const age = seen ? this.clock.now() - seen.at : 0;
    if (age >= this.timeouts.downAfterMs) return 'Down';
    if (age >= this.timeouts.notReadyAfterMs) return 'NotReady';
    return 'Ready';
  }

  private view(n: Node): Node {
    const status = this.statusOf(n);
    if (status === n.status) return n;
    const seen = this.seenBeat.get(n.id);
    const secs = seen ? Math.round((this.clock.now() - seen.at) / 1000) : 0;
    return { ...n, status, statusReason: status === 'Ready' ? 'heartbeat received' : `no heartbeat for ${secs}s` };
  }

  private emit(e: ClusterEvent): void {
    for (const l of this.listeners) l(e);
  }
}

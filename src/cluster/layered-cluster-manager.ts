import type { Node } from '../types/node.js';
import type { ClusterEvent, ClusterEventListener, ClusterManager } from './cluster-manager.js';

/**
 * Two membership views, one answer: for a node that is a member of `primary` (gossip), primary's
 * view of its health rules — it notices a death in seconds; for every other node (an agent started
 * without gossip), `fallback` (heartbeats in the store) does.
 */
export class LayeredClusterManager implements ClusterManager {
  private readonly listeners = new Set<ClusterEventListener>();
  private readonly inPrimary = new Set<string>();

  constructor(
    private readonly primary: ClusterManager,
    private readonly fallback: ClusterManager,
  ) {}

  async initialize(): Promise<void> {
    this.primary.subscribeToEvents((e) => {
      if (e.type === 'NodeRemoved') this.inPrimary.delete(e.nodeId);
      else this.inPrimary.add(e.node.id);
      this.emit(e);
    });
    this.fallback.subscribeToEvents((e) => {
      const id = e.type === 'NodeRemoved' ? e.nodeId : e.node.id;
      if (!this.inPrimary.has(id)) this.emit(e);
    });
    await this.fallback.initialize();
    await this.primary.initialize();
  }

  async getNode(nodeId: string): Promise<Node | undefined> {
    return (this.inPrimary.has(nodeId) ? await this.primary.getNode(nodeId) : undefined) ?? this.fallback.getNode(nodeId);
  }

  async listNodes(): Promise<Node[]> {
    const fromPrimary = (await this.primary.listNodes()).filter((n) => this.inPrimary.has(n.id));
    const ids = new Set(fromPrimary.map((n) => n.id));
    return [...fromPrimary, ...(await this.fallback.listNodes()).filter((n) => !ids.has(n.id))];
  }

  subscribeToEvents(listener: ClusterEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async shutdown(): Promise<void> {
    await this.primary.shutdown();
    await this.fallback.shutdown();
  }

  private emit(e: ClusterEvent): void {
    for (const l of this.listeners) l(e);
  }
}

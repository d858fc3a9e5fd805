import type { Node } from '../types/node.js';

export type ClusterEvent =
  | { type: 'NodeAdded'; node: Node }
  | { type: 'NodeRemoved'; nodeId: string }
  | { type: 'NodeUpdated'; node: Node };

export type ClusterEventListener = (event: ClusterEvent) => void;

/**
 * The seed's ClusterManager: who is in the cluster and how they are. The core subscribes and turns
 * its events into reconciles (a node Down reschedules what ran there).
 *
 * Implementations: `StoreClusterManager` (node records and agent heartbeats in the state store, the
 * single-machine default) and `GossipClusterManager` (SWIM membership over UDP).
 */
export interface ClusterManager {
  initialize(): Promise<void>;
  getNode(nodeId: string): Promise<Node | undefined>;
  listNodes(): Promise<Node[]>;
  /** Returns a function that unsubscribes. */
  subscribeToEvents(listener: ClusterEventListener): () => void;
  shutdown(): Promise<void>;
}

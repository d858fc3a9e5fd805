import type { ClusterSnapshot, NodeInfo } from './scheduler.js';

/** The snapshot's nodes sorted by id: the one order every scheduler walks, so answers are deterministic. */
export function sortedNodes(snapshot: ClusterSnapshot): readonly NodeInfo[] {
  if (snapshot.nodeList) return snapshot.nodeList();
  return [...snapshot.nodes()].sort((a, b) => (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
}

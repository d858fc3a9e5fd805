import { addInto, emptyVector, type ResourceVector } from '../types/resources.js';

/** What one schedule call has placed on a node so far, on top of the snapshot. */
export interface NodeDelta {
  requested: ResourceVector;
  hostPorts: Set<string>;
  count: number;
}

/**
 * The decisions of one schedule call, kept beside the read-only snapshot, so that each decision
 * sees the earlier ones (two instances of one call never both claim the last free gigabyte).
 */
export class PlacementOverlay {
  private readonly deltas = new Map<string, NodeDelta>();

  get(nodeId: string): NodeDelta | undefined {
    return this.deltas.get(nodeId);
  }

  place(nodeId: string, requests: ResourceVector, hostPorts: readonly string[]): void {
    let d = this.deltas.get(nodeId);
    if (!d) this.deltas.set(nodeId, (d = { requested: emptyVector(), hostPorts: new Set(), count: 0 }));
    addInto(d.requested, requests, 1);
    for (const p of hostPorts) d.hostPorts.add(p);
    d.count++;
  }
}

import { addInto, emptyVector, type ResourceVector } from '../types/resources.js';
import type { PlacedInstance } from './scheduler.js';

/** What one schedule call has placed on a node so far (and set aside), on top of the snapshot. */
export interface NodeDelta {
  /** Requests placed less requests set aside; may be negative. */
  requested: ResourceVector;
  hostPorts: Set<string>;
  count: number;
  /** Instances whose hold on the node the call ignores (their host ports are free to it). */
  released: Set<string>;
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
    const d = this.delta(nodeId);
    addInto(d.requested, requests, 1);
    for (const p of hostPorts) d.hostPorts.add(p);
    d.count++;
  }

  /** Ignores, for the rest of the call, what a bound instance holds on its node. */
  release(nodeId: string, instance: PlacedInstance): void {
    const d = this.delta(nodeId);
    if (d.released.has(instance.instanceId)) return;
    d.released.add(instance.instanceId);
    addInto(d.requested, instance.requests, -1);
  }

  private delta(nodeId: string): NodeDelta {
    let d = this.deltas.get(nodeId);
    if (!d) this.deltas.set(nodeId, (d = { requested: emptyVector(), hostPorts: new Set(), count: 0, released: new Set() }));
    return d;
  }
}

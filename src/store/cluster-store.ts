import { OrchestrationError } from '../types/errors.js';
import type { ClusterEventRecord } from '../types/event.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { WorkloadDefinition, WorkloadRevision } from '../types/workload.js';
import { looksLikeUuid } from '../types/common.js';
import { Collection } from './collection.js';
import type { CommitResult, StateStore, WriteOp } from './state-store.js';

type Revisioned<T> = T & { resourceVersion: string };

/** Key layout of the cluster's objects. One place, so the store's content can be read by hand too. */
export const KEYS = {
  workloads: '/registry/workloads/',
  workloadNames: '/registry/names/workloads/',
  revisions: '/registry/revisions/',
  instances: '/registry/instances/',
  nodes: '/registry/nodes/',
  nodeNames: '/registry/names/nodes/',
  events: '/registry/events/',
  tokens: '/registry/tokens/',
  leader: '/registry/leader',
} as const;

/**
 * The cluster's objects over any StateStore: typed collections, name lookup, and the
 * read-modify-write loop every component uses to change an object without losing a race.
 */
export class ClusterStore {
  readonly workloads: Collection<WorkloadDefinition>;
  readonly instances: Collection<WorkloadInstance>;
  readonly nodes: Collection<Node>;
  readonly revisions: Collection<Revisioned<WorkloadRevision>>;
  readonly events: Collection<Revisioned<ClusterEventRecord>>;

  constructor(readonly kv: StateStore) {
    this.workloads = new Collection(kv, KEYS.workloads, (w) => w.workloadId);
    this.instances = new Collection(kv, KEYS.instances, (i) => i.instanceId);
    this.nodes = new Collection(kv, KEYS.nodes, (n) => n.id);
    this.revisions = new Collection(kv, KEYS.revisions, (r) => revisionId(r.workloadId, r.revision));
    this.events = new Collection(kv, KEYS.events, (e) => e.eventId);
  }

  commit(ops: WriteOp[]): Promise<CommitResult> {
    return this.kv.commit(ops);
  }

  workloadNameKey(name: string): string {
    return KEYS.workloadNames + name;
  }

  nodeNameKey(name: string): string {
    return KEYS.nodeNames + name;
  }

  /** A workload by id or by name. */
  async resolveWorkload(ref: string): Promise<WorkloadDefinition | undefined> {
    if (looksLikeUuid(ref)) {
      const byId = await this.workloads.get(ref);
      if (byId) return byId;
    }
    const idKv = await this.kv.get(this.workloadNameKey(ref));
    return idKv ? this.workloads.get(idKv.value) : undefined;
  }

  async requireWorkload(ref: string): Promise<WorkloadDefinition> {
    const w = await this.resolveWorkload(ref);
    if (!w) throw OrchestrationError.notFound('workload', ref);
    return w;
  }

  /** A node by id, or by name (names are unique; ids default to the name). */
  async resolveNode(ref: string): Promise<Node | undefined> {
    const byId = await this.nodes.get(ref);
    if (byId) return byId;
    const idKv = await this.kv.get(this.nodeNameKey(ref));
    return idKv ? this.nodes.get(idKv.value) : undefined;
  }

  async requireNode(ref: string): Promise<Node> {
    const n = await this.resolveNode(ref);
    if (!n) throw OrchestrationError.notFound('node', ref);
    return n;
  }

  /** Instance ids are their names (`web-7f3k2x9q`), so one lookup serves both. */
  async requireInstance(ref: string): Promise<WorkloadInstance> {
    const i = await this.instances.get(ref);
    if (!i) throw OrchestrationError.notFound('instance', ref);
    return i;
  }

  async listInstances(filter: { workloadId?: string; nodeId?: string } = {}): Promise<{ items: WorkloadInstance[]; revision: number }> {
    const all = await this.instances.listAll();
    const items = all.items.filter((i) => (!filter.workloadId || i.workloadId === filter.workloadId) && (!filter.nodeId || i.nodeId === filter.nodeId));
    return { items, revision: all.revision };
  }

  async listRevisions(workloadId: string): Promise<WorkloadRevision[]> {
    const res = await this.kv.list(`${KEYS.revisions}${workloadId}/`);
    return res.items.map((kv) => this.revisions.decode(kv));
  }

  async getRevision(workloadId: string, revision: number): Promise<WorkloadRevision | undefined> {
    return this.revisions.get(revisionId(workloadId, revision));
  }

  /**
   * Read-modify-write with compare-and-swap, retried when another writer got there first.
   * `mutate` gets the current object and returns the new one, or undefined to leave it alone; it
   * may run several times, so it must not have side effects.
   */
  async update<T extends { resourceVersion: string }>(
    coll: Collection<T>,
    id: string,
    mutate: (current: T) => T | undefined,
    maxAttempts = 16,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await coll.get(id);
      if (!current) return undefined;
      const next = mutate(structuredClone(current));
      if (!next) return current;
      next.resourceVersion = current.resourceVersion;
      const res = await this.kv.commit([coll.put(next)]);
      if (res.ok) {
        next.resourceVersion = String(res.revision);
        return next;
      }
    }
    throw OrchestrationError.conflict(`${coll.prefix}${id} kept changing; gave up after ${maxAttempts} attempts`);
  }
}

export function revisionId(workloadId: string, revision: number): string {
  return `${workloadId}/${String(revision).padStart(8, '0')}`;
}

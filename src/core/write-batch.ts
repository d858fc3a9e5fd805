import type { ClusterStore } from '../store/cluster-store.js';
import type { WriteOp } from '../store/state-store.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { ClusterCache } from './cluster-cache.js';

/** Tells whether this replica may write, and the guard op that makes a deposed leader's commit fail. */
export interface LeadershipGuard {
  isLeader(): boolean;
  guard(): WriteOp | undefined;
}

export const ALWAYS_LEADER: LeadershipGuard = { isLeader: () => true, guard: () => undefined };

/**
 * Instance writes of one reconcile, committed together. Creations go in one transaction (they
 * cannot conflict but on a name collision); changes to existing instances are committed together
 * too and, if one of them lost a race with an agent's status report, one by one, so a busy instance
 * never holds up the others. Every commit carries the leadership guard; what commits is applied to
 * the cache at once.
 */
export class InstanceWriteBatch {
  private readonly creates: WorkloadInstance[] = [];
  private readonly updates: WorkloadInstance[] = [];
  private readonly deletes: WorkloadInstance[] = [];
  private readonly touched = new Set<string>();

  constructor(
    private readonly store: ClusterStore,
    private readonly cache: ClusterCache,
    private readonly leadership: LeadershipGuard,
  ) {}

  create(i: WorkloadInstance): void {
    this.creates.push(i);
    this.touched.add(i.instanceId);
  }

  update(i: WorkloadInstance): void {
    this.updates.push(i);
    this.touched.add(i.instanceId);
  }

  delete(i: WorkloadInstance): void {
    this.deletes.push(i);
    this.touched.add(i.instanceId);
  }

  /** Whether this batch already writes the instance (one change per instance per reconcile). */
  touches(i: WorkloadInstance): boolean {
    return this.touched.has(i.instanceId);
  }

  get size(): number {
    return this.creates.length + this.updates.length + this.deletes.length;
  }

  /** Commits everything; returns how many writes lost a race (the caller requeues). */
  async commit(): Promise<{ conflicts: number; created: WorkloadInstance[] }> {
    let conflicts = 0;
    const created: WorkloadInstance[] = [];
    const guard = this.leadership.guard();
    const withGuard = (ops: WriteOp[]) => (guard ? [guard, ...ops] : ops);

    // A store may cap a commit's size (etcd): creations go in chunks that fit, guard included.
    const chunk = Math.max(1, (this.store.kv.maxOpsPerCommit ?? Infinity) - 1);
    for (let k = 0; k < this.creates.length; k += chunk) {
      const part = this.creates.slice(k, k + chunk);
      const res = await this.store.commit(withGuard(part.map((i) => this.store.instances.create(i))));
      if (res.ok) {
        for (const i of part) this.cache.instances.applyLocal(i, res.revision);
        created.push(...part);
      } else conflicts += part.length;
    }

    type Change = { op: WriteOp; apply: (revision: number) => void };
    const changes: Change[] = [
      ...this.updates.map((i) => ({ op: this.store.instances.put(i), apply: (r: number) => this.cache.instances.applyLocal(i, r) })),
      ...this.deletes.map((i) => ({ op: this.store.instances.delete(i.instanceId, i.resourceVersion), apply: (r: number) => this.cache.instances.removeLocal(i.instanceId, r) })),
    ];
    if (changes.length === 0) return { conflicts, created };
    // All together when the store takes them in one commit; one by one when it cannot, or when one
    // of them lost a race (so the others still land). A lost leadership guard fails them all.
    if (changes.length < (this.store.kv.maxOpsPerCommit ?? Infinity)) {
      const res = await this.store.commit(withGuard(changes.map((c) => c.op)));
      if (res.ok) {
        for (const c of changes) c.apply(res.revision);
        return { conflicts, created };
      }
      if (changes.length === 1 || (guard && res.key === guard.key)) return { conflicts: conflicts + changes.length, created };
    }
    for (const c of changes) {
      const one = await this.store.commit(withGuard([c.op]));
      if (one.ok) c.apply(one.revision);
      else conflicts++;
    }
    return { conflicts, created };
  }
}

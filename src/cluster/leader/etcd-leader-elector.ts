import { randomUUID } from 'node:crypto';
import { KEYS } from '../../store/cluster-store.js';
import type { Watcher, WriteOp } from '../../store/state-store.js';
import { systemClock, type Clock, type TimerHandle } from '../../types/clock.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import { impossibleGuard, type LeaderElector, type LeaderInfo, type LeadershipListener, type ReplicaInfo } from './leader-elector.js';
import { DEFAULT_LEASE_TTL_SECONDS, LeaseKeeper, leaseTiming, type LeaseTiming } from './lease-keeper.js';
import type { LeasingStore } from './leasing-store.js';

/** Where replicas register themselves (one key each, on their lease). */
export const REPLICAS_PREFIX = '/registry/replicas/';

export interface EtcdLeaderElectorOptions {
  /** This replica's id; a fresh UUID per process by default. */
  id?: string;
  /** Where this replica serves the API. */
  address: string;
  /** Lease TTL in seconds (default DEFAULT_LEASE_TTL_SECONDS, 4): a crashed leader is replaced within about this long. */
  ttlSeconds?: number;
  /** Renewal and safety-margin timing; derived from `ttlSeconds` unless given. */
  timing?: LeaseTiming;
  electionKey?: string;
  replicasPrefix?: string;
  /** Wait before trying again after etcd failed a step (ms). */
  retryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Leader election on an etcd lease and one election key, the way etcd's own election recipe works
 * but with a single key: the replica whose transaction creates the key (guard: it must not exist),
 * attached to its lease, leads. The key vanishes when that lease is revoked or expires, which the
 * others see on their watch and race to create it again.
 *
 * The leader's guard is "the election key still has the modRevision I created it with", so any
 * commit it makes after losing the key fails. It also stops acting on its own (isLeader() false,
 * listeners told) as soon as its lease may be lost: etcd said so, or renewals have failed for
 * TTL − margin.
 */
export class EtcdLeaderElector implements LeaderElector {
  readonly id: string;
  private readonly address: string;
  private readonly key: string;
  private readonly replicasPrefix: string;
  private readonly timing: LeaseTiming;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly listeners = new Set<LeadershipListener>();
  private readonly startedAt: string;

  private running = false;
  private lease?: LeaseKeeper;
  /** modRevision of the election key this replica created, while it leads. */
  private leaderRevision?: number;
  private leader?: LeaderInfo;
  private watcher?: Watcher;
  private retryTimer?: TimerHandle;
  private attempting?: Promise<void>;
  private registered = false;
  private again = false;

  constructor(private readonly store: LeasingStore, options: EtcdLeaderElectorOptions) {
    this.id = options.id ?? randomUUID();
    this.address = options.address;
    this.key = options.electionKey ?? KEYS.leader;
    this.replicasPrefix = options.replicasPrefix ?? REPLICAS_PREFIX;
    this.timing = options.timing ?? leaseTiming(options.ttlSeconds ?? DEFAULT_LEASE_TTL_SECONDS);
    this.retryMs = options.retryMs ?? 1_000;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'leader-elector', replica: this.id });
    this.startedAt = new Date(this.clock.now()).toISOString();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attempt();
  }

  isLeader(): boolean {
    return this.leaderRevision !== undefined && this.lease !== undefined && this.lease.alive();
  }

  onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  leaderInfo(): LeaderInfo | undefined {
    return this.leader;
  }

  guard(): WriteOp {
    return this.isLeader() ? { op: 'check', key: this.key, ifModRevision: this.leaderRevision! } : impossibleGuard(this.key);
  }

  async replicas(): Promise<ReplicaInfo[]> {
    const res = await this.store.list(this.replicasPrefix);
    return res.items.map((kv) => JSON.parse(kv.value) as ReplicaInfo);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.attempting;
    const wasLeader = this.isLeader();
    // Revoking the lease deletes the election key and the registration at once: no one waits out the TTL.
    await this.lease?.release(true);
    this.lease = undefined;
    this.transition(undefined, wasLeader ? 'resigned' : 'stopped');
  }

  /** One pass of: hold a lease, register, try to lead, else watch the leader. Serialized; a request during a pass runs one more. */
  private attempt(): Promise<void> {
    if (this.attempting) {
      this.again = true;
      return this.attempting;
    }
    this.attempting = (async () => {
      do {
        this.again = false;
        if (!this.running) break;
        try {
          await this.tryLead();
        } catch (err) {
          this.log.warn({ err: String(err) }, 'election step failed; retrying');
          this.scheduleRetry();
        }
      } while (this.again);
    })().finally(() => {
      this.attempting = undefined;
    });
    return this.attempting;
  }

  private async tryLead(): Promise<void> {
    if (!this.lease || !this.lease.alive()) await this.newLease();
    const lease = this.lease!;
    if (!this.registered) await this.register(lease);
    if (this.isLeader()) {
      if (!this.watcher) this.watchLeader(this.leaderRevision!);
      return;
    }
    const info: LeaderInfo = { id: this.id, address: this.address, since: new Date(this.clock.now()).toISOString() };
    const res = await this.store.commit([{ op: 'put', key: this.key, value: JSON.stringify(info), ifModRevision: 0 }], { lease: lease.id });
    if (res.ok) {
      if (!lease.alive() || !this.running) return; // lost meanwhile: the key dies with the lease
      this.transition(info, 'won the election', res.revision);
      // Watch our own key too: if it is deleted by hand, or the lease revoked, we step down at once.
      this.watchLeader(res.revision);
      return;
    }
    const current = await this.store.get(this.key);
    if (!current) {
      this.again = true; // the leader vanished between our try and our read
      return;
    }
    this.transition(JSON.parse(current.value) as LeaderInfo, 'following');
    this.watchLeader(current.modRevision);
  }

  private async newLease(): Promise<void> {
    const old = this.lease;
    this.lease = undefined;
    if (old) void old.release(true);
    const keeper = new LeaseKeeper(this.store, this.timing, this.clock, this.log, (reason) => this.onLeaseLost(keeper, reason));
    await keeper.acquire();
    this.lease = keeper;
    this.registered = false;
  }

  /** The replica record lives on the lease, so it disappears with a crashed replica. */
  private async register(lease: LeaseKeeper): Promise<void> {
    const me: ReplicaInfo = { id: this.id, address: this.address, startedAt: this.startedAt };
    await this.store.commit([{ op: 'put', key: this.replicasPrefix + this.id, value: JSON.stringify(me) }], { lease: lease.id });
    if (lease === this.lease) this.registered = true;
  }

  private onLeaseLost(keeper: LeaseKeeper, reason: string): void {
    if (keeper !== this.lease) return;
    this.log.warn({ reason }, 'lease lost');
    this.lease = undefined;
    void keeper.release(true);
    if (this.leaderRevision !== undefined) this.transition(undefined, `stepped down: ${reason}`);
    if (this.running) void this.attempt();
  }

  private watchLeader(fromRevision: number): void {
    this.watcher?.close();
    const w = this.store.watch(this.key, fromRevision, {
      onEvents: (events) => {
        for (const e of events) {
          if (e.key !== this.key) continue;
          if (e.type === 'delete') {
            w.close();
            if (this.watcher === w) this.watcher = undefined;
            this.transition(undefined, this.leaderRevision !== undefined ? 'stepped down: election key deleted' : 'leader gone');
            void this.attempt();
            return;
          }
          this.transition(JSON.parse(e.value!) as LeaderInfo, 'following');
        }
      },
      onError: (err) => {
        if (this.watcher === w) this.watcher = undefined;
        this.log.debug({ err: String(err) }, 'leader watch ended; checking again');
        this.scheduleRetry();
      },
    });
    this.watcher = w;
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, this.retryMs);
  }

  /** The one place leadership changes: state, log and listeners. */
  private transition(leader: LeaderInfo | undefined, why: string, myRevision?: number): void {
    const wasLeader = this.leaderRevision !== undefined;
    this.leaderRevision = myRevision;
    const nowLeader = myRevision !== undefined;
    const changed = wasLeader !== nowLeader || this.leader?.id !== leader?.id;
    this.leader = leader;
    if (!changed) return;
    this.log.info({ leader: leader?.id, isLeader: nowLeader }, why);
    for (const l of this.listeners) l(nowLeader, leader);
  }
}

import type { WriteOp } from '../../store/state-store.js';
import type { LeaderElector, LeaderInfo, LeadershipListener, ReplicaInfo } from './leader-elector.js';

/**
 * The single-machine elector: the one control plane is always leader and needs no guard, since no
 * other replica can write. Used with the SQLite and memory stores.
 */
export class LocalLeaderElector implements LeaderElector {
  private readonly info: LeaderInfo;
  private readonly listeners = new Set<LeadershipListener>();
  private started = false;

  constructor(readonly id: string, readonly address: string, private readonly now: () => Date = () => new Date()) {
    this.info = { id, address, since: now().toISOString() };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const l of this.listeners) l(true, this.info);
  }

  isLeader(): boolean {
    return this.started;
  }

  onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  leaderInfo(): LeaderInfo | undefined {
    return this.started ? this.info : undefined;
  }

  guard(): WriteOp | undefined {
    return undefined;
  }

  async replicas(): Promise<ReplicaInfo[]> {
    return [{ id: this.id, address: this.address, startedAt: this.info.since }];
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const l of this.listeners) l(false, undefined);
  }
}

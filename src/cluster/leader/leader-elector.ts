import type { WriteOp } from '../../store/state-store.js';

/** Who leads the control plane, as replicas and `cluster info` see it. */
export interface LeaderInfo {
  /** Replica id (unique per process run). */
  id: string;
  /** Where that replica serves the API, for humans and for redirecting clients. */
  address: string;
  /** ISO time the replica became leader. */
  since: string;
}

/** A control-plane replica that is up: it registered itself and keeps its registration alive. */
export interface ReplicaInfo {
  id: string;
  address: string;
  startedAt: string;
}

export type LeadershipListener = (isLeader: boolean, leader: LeaderInfo | undefined) => void;

/**
 * Decides which control-plane replica runs the reconciler and the scheduler. Every replica serves
 * the API; only the leader acts on the cluster, and it puts `guard()` into each of its commits so a
 * deposed leader's late write fails instead of landing.
 *
 * Implementations: `LocalLeaderElector` (one machine: always leader) and `EtcdLeaderElector`
 * (lease + election key in etcd).
 */
export interface LeaderElector {
  readonly id: string;
  /** Registers this replica and campaigns; resolves after the first attempt, leader or not. Idempotent. */
  start(): Promise<void>;
  /** Whether this replica may act now. Turns false before another replica can become leader. */
  isLeader(): boolean;
  /** Called on every change of this replica's leadership or of the known leader; returns unsubscribe. */
  onChange(listener: LeadershipListener): () => void;
  /** The leader as last seen (this replica or another); undefined when there is none known. */
  leaderInfo(): LeaderInfo | undefined;
  /**
   * A `check` op to add to every commit the leader makes: it fails the commit once this replica is
   * no longer leader. Undefined where no guard is needed (a single machine). When this replica is not
   * leader it is a check that can never pass, so a caller that forgot `isLeader()` still cannot write.
   */
  guard(): WriteOp | undefined;
  /** The replicas currently registered, leader included. */
  replicas(): Promise<ReplicaInfo[]>;
  /** Resigns (another replica may lead at once) and stops campaigning. Idempotent. */
  stop(): Promise<void>;
}

/** A guard no commit can pass: modRevision is never negative. */
export function impossibleGuard(key: string): WriteOp {
  return { op: 'check', key, ifModRevision: -1 };
}

import type { CommitResult, StateStore, WriteOp } from '../../store/state-store.js';

/**
 * A StateStore with etcd-style leases: keys written under a lease vanish when it expires. What leader
 * election and replica registration need; `EtcdStateStore` provides it.
 */
export interface LeasingStore extends StateStore {
  grantLease(ttlSeconds: number): Promise<string>;
  /** Remaining TTL in seconds after the renewal; 0 when the lease is gone. */
  renewLease(id: string): Promise<number>;
  revokeLease(id: string): Promise<void>;
  commit(ops: WriteOp[], options?: { lease?: string }): Promise<CommitResult>;
}

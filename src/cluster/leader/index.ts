export { EtcdLeaderElector, REPLICAS_PREFIX, type EtcdLeaderElectorOptions } from './etcd-leader-elector.js';
export { impossibleGuard, type LeaderElector, type LeaderInfo, type LeadershipListener, type ReplicaInfo } from './leader-elector.js';
export { DEFAULT_LEASE_TTL_SECONDS, LeaseKeeper, leaseTiming, type LeaseTiming } from './lease-keeper.js';
export type { LeasingStore } from './leasing-store.js';
export { LocalLeaderElector } from './local-leader-elector.js';

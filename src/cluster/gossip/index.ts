/** SWIM gossip membership: what other folders may use. */
export { DEFAULT_GOSSIP_PORT, GossipClusterManager, type GossipClusterManagerOptions } from './gossip-cluster-manager.js';
export { GOSSIP_PROFILES, LAN_PROFILE, LOCAL_PROFILE, WAN_PROFILE, gossipConfig, type GossipConfig, type GossipProfileName } from './config.js';
export { decodeNodeMetadata, encodeNodeMetadata, memberToNode, nodeMetadataSchema, type NodeMetadata } from './node-metadata.js';
export { SwimNode, type SwimNodeOptions, type SwimStats } from './swim-node.js';
export type { Member, MemberChangeListener } from './membership.js';
export type { MemberState } from './messages.js';
export type { Transport, PacketHandler, ExchangeHandler } from './transport.js';
export { UdpTransport, type UdpTransportOptions } from './udp-transport.js';
export { MemoryNetwork, type MemoryNetworkOptions } from './memory-network.js';
export { SimulatedCluster, type ObservedChange } from './simulated-cluster.js';
export { seededRandom, systemRandom, type Random } from './random.js';

/**
 * Tuning of the membership protocol. Named profiles mirror memberlist's DefaultLANConfig,
 * DefaultWANConfig and DefaultLocalConfig, whose values are proven in Consul and Nomad.
 */
export interface GossipConfig {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  indirectChecks: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  awarenessMaxMultiplier: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  gossipToTheDeadMs: number;
  retransmitMult: number;
  pushPullIntervalMs: number;
  /** How often to try a push-pull with one member we hold dead (Serf's reconnect), so healed partitions merge. */
  reconnectIntervalMs: number;
  /** How long a dead or departed member is remembered before it is forgotten altogether. */
  reapAfterMs: number;
  streamTimeoutMs: number;
  /** Ask a TCP ping too when UDP probes fail, as memberlist does. */
  tcpFallbackPing: boolean;
  packetBudgetBytes: number;
  metaMaxBytes: number;
  leaveTimeoutMs: number;
}

export const LAN_PROFILE: Readonly<GossipConfig> = {
  probeIntervalMs: 1000, // one probe a second per member: about 2 packets/member/s, and a failure noticed within ~1-2 s
  probeTimeoutMs: 500, // a LAN round trip is well under 1 ms; 500 ms leaves room for a busy event loop or a GC pause
  indirectChecks: 3, // three other paths to the target before suspecting it: a lossy link alone does not cause a suspicion
  suspicionMult: 4, // minimum suspicion = 4 × log10(n) probe periods: time enough for the suspect to hear and refute
  suspicionMaxTimeoutMult: 6, // an unconfirmed suspicion waits up to 6× the minimum: a lone accuser with a bad link cannot kill a healthy member quickly
  awarenessMaxMultiplier: 8, // an unhealthy member slows its probes by up to 8× rather than spreading false suspicions
  gossipIntervalMs: 200, // news goes out five times a second, so it reaches 100 members in about a second
  gossipNodes: 3, // fan-out 3: each round triples the members that know, log3(n) rounds to reach all
  gossipToTheDeadMs: 30_000, // keep telling a dead member it is dead for 30 s, so one that was only cut off learns and refutes
  retransmitMult: 4, // each update is sent 4 × ceil(log10(n+1)) times: enough for epidemic spread to reach everyone with high probability
  pushPullIntervalMs: 30_000, // a full state sync every 30 s (scaled up past 32 members) repairs whatever gossip missed
  reconnectIntervalMs: 30_000, // Serf's default: after a partition heals the halves find each other within about 30 s
  reapAfterMs: 24 * 3600_000, // Serf's reconnect and tombstone timeout: a day dead or gone, then forgotten, so tables stay bounded under churn
  streamTimeoutMs: 10_000, // TCP push-pull on a LAN completes in milliseconds; 10 s tolerates a loaded peer
  tcpFallbackPing: true, // a TCP ping alongside indirect probes separates "UDP is dropped" from "the member is dead"
  packetBudgetBytes: 1400, // stays under a 1500-byte Ethernet MTU with IP and UDP headers
  metaMaxBytes: 512, // node metadata (labels, capacity, API address) must fit in one packet with room for other news
  leaveTimeoutMs: 2_000, // how long a graceful leave waits for its notice to go out before closing the sockets
};

export const WAN_PROFILE: Readonly<GossipConfig> = {
  ...LAN_PROFILE,
  probeIntervalMs: 5000, // cross-region round trips and loss are higher: probe less often
  probeTimeoutMs: 3000, // a WAN round trip can take hundreds of milliseconds under load
  suspicionMult: 6, // more time to refute over slower links
  gossipIntervalMs: 500, // fewer, larger rounds over the WAN
  gossipNodes: 4, // a wider fan-out makes up for the slower rounds
  gossipToTheDeadMs: 60_000,
  pushPullIntervalMs: 60_000,
  reconnectIntervalMs: 60_000,
  streamTimeoutMs: 30_000,
};

export const LOCAL_PROFILE: Readonly<GossipConfig> = {
  ...LAN_PROFILE,
  probeTimeoutMs: 200, // loopback answers in microseconds
  indirectChecks: 1, // one machine: other paths add little
  retransmitMult: 2, // loopback does not lose packets
  suspicionMult: 3, // faster verdicts where refutations arrive at once
  gossipIntervalMs: 100,
  gossipToTheDeadMs: 15_000,
  pushPullIntervalMs: 15_000,
  reconnectIntervalMs: 15_000,
  streamTimeoutMs: 1_000,
};

export const GOSSIP_PROFILES = { lan: LAN_PROFILE, wan: WAN_PROFILE, local: LOCAL_PROFILE } as const;
export type GossipProfileName = keyof typeof GOSSIP_PROFILES;

/** The profile by name (default `lan`), with `overrides` on top. */
export function gossipConfig(profile: GossipProfileName = 'lan', overrides: Partial<GossipConfig> = {}): GossipConfig {
  return { ...GOSSIP_PROFILES[profile], ...overrides };
}

/** Push-pull interval stretched past 32 members (memberlist's pushPullScale), so sync load stays flat. */
export function scaledPushPullInterval(intervalMs: number, clusterSize: number): number {
  const threshold = 32;
  if (clusterSize <= threshold) return intervalMs;
  const multiplier = Math.ceil(Math.log2(clusterSize) - Math.log2(threshold)) + 1;
  return intervalMs * multiplier;
}

import { systemClock, type Clock, type TimerHandle } from '../../types/clock.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import type { Node } from '../../types/node.js';
import type { ClusterEvent, ClusterEventListener, ClusterManager } from '../cluster-manager.js';
import { formatAddress, parseAddress } from './address.js';
import { gossipConfig, type GossipConfig, type GossipProfileName } from './config.js';
import type { Member } from './membership.js';
import { decodeNodeMetadata, encodeNodeMetadata, memberToNode, type NodeMetadata } from './node-metadata.js';
import { systemRandom, type Random } from './random.js';
import { SwimNode } from './swim-node.js';
import type { Transport } from './transport.js';
import { UdpTransport } from './udp-transport.js';

/** memberlist's and Serf's port, so `--join host` works as people expect. */
export const DEFAULT_GOSSIP_PORT = 7946;

export interface GossipClusterManagerOptions {
  /** This member's unique, stable name: the node id. */
  name: string;
  /** `host:port` to bind UDP and TCP on (a bare host gets port 7946); port 0 picks a free one. Default `0.0.0.0:7946`. */
  bindAddr?: string;
  /** `host:port` others reach us at, when it differs from the bound address (NAT, wildcard bind). */
  advertiseAddr?: string;
  /** Addresses (`host:port`, or `host` for port 7946) of members to join through; retried in the background while we are alone. */
  seeds?: string[];
  metadata?: NodeMetadata;
  /** Named tuning (`lan` by default, `wan`, `local`), with `config` overrides on top. */
  profile?: GossipProfileName;
  config?: Partial<GossipConfig>;
  /** A ready transport (the in-memory network in tests); default a UdpTransport on `bindAddr`. */
  transport?: Transport;
  /** Which members are nodes that run instances; default every member whose role is not control-plane. */
  isNode?: (member: Member, meta: NodeMetadata) => boolean;
  /** How often to retry the seeds while no other member is known. Default 5 s. */
  rejoinIntervalMs?: number;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/**
 * ClusterManager over SWIM gossip: membership (and each member's labels, capacity and API address)
 * spreads by gossip, failure detection is SWIM's, and each member's view becomes the seed's cluster
 * events: a new member → NodeAdded; alive/suspect/dead and metadata changes → NodeUpdated with
 * status Ready/NotReady/Down; a member that left on purpose → NodeRemoved. Dead members stay listed
 * as Down until they come back, leave, or are forgotten after `reapAfterMs` (a day), → NodeRemoved.
 */
export class GossipClusterManager implements ClusterManager {
  private swim: SwimNode | undefined;
  private readonly listeners = new Set<ClusterEventListener>();
  private readonly firstSeen = new Map<string, number>();
  private readonly lastHeard = new Map<string, number>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly config: GossipConfig;
  private rejoinTimer: TimerHandle | undefined;
  private seeds: string[] = [];
  private closed = false;

  constructor(private readonly o: GossipClusterManagerOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = (o.logger ?? silentLogger).child({ component: 'gossip-cluster-manager' });
    this.config = gossipConfig(o.profile ?? 'lan', o.config);
  }

  /** Binds, starts the protocol and joins through the seeds (in the background if none answers yet). */
  async initialize(): Promise<void> {
    if (this.swim) return;
    const meta = encodeNodeMetadata(this.o.metadata ?? {}, this.config.metaMaxBytes);
    // On UDP a bare host means the default port; a given transport has its own addressing.
    this.seeds = this.o.transport ? [...(this.o.seeds ?? [])] : (this.o.seeds ?? []).map((s) => formatAddress(parseAddress(s, DEFAULT_GOSSIP_PORT)));
    const transport =
      this.o.transport ?? (await UdpTransport.create({ bindAddr: formatAddress(parseAddress(this.o.bindAddr ?? '0.0.0.0', DEFAULT_GOSSIP_PORT)), advertiseAddr: this.o.advertiseAddr, streamTimeoutMs: this.config.streamTimeoutMs, logger: this.o.logger }));
    const swim = new SwimNode({ name: this.o.name, transport, config: this.config, meta, clock: this.clock, random: this.o.random ?? systemRandom, logger: this.o.logger });
    this.swim = swim;
    swim.onChange((m, prev) => this.onMemberChange(m, prev));
    swim.onForget((m) => {
      this.firstSeen.delete(m.name);
      this.lastHeard.delete(m.name);
      if (m.state === 'dead' && this.isNode(m)) this.emit({ type: 'NodeRemoved', nodeId: m.name });
    });
    for (const m of swim.members()) this.onMemberChange(m, undefined);
    swim.start();
    this.log.info({ address: swim.address, seeds: this.seeds }, 'gossip member started');
    if (this.seeds.length > 0) await this.rejoin();
  }

  /** The address other members reach this one at (useful after binding port 0). */
  get address(): string | undefined {
    return this.swim?.address;
  }

  async getNode(nodeId: string): Promise<Node | undefined> {
    const m = this.swim?.member(nodeId);
    return m && m.state !== 'left' && this.isNode(m) ? this.toNode(m) : undefined;
  }

  async listNodes(): Promise<Node[]> {
    return (this.swim?.members() ?? []).filter((m) => m.state !== 'left' && this.isNode(m)).map((m) => this.toNode(m));
  }

  /** Every member, control-plane replicas included, as the protocol sees them. */
  members(): Member[] {
    return this.swim?.members() ?? [];
  }

  subscribeToEvents(listener: ClusterEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Gossips new metadata for this member (labels, capacity, address); throws TooLarge above the cap. */
  updateMetadata(metadata: NodeMetadata): void {
    this.swim?.updateMeta(encodeNodeMetadata(metadata, this.config.metaMaxBytes));
  }

  /** Leaves gracefully (others see NodeRemoved, not Down), then stops. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.rejoinTimer) this.clock.clearTimeout(this.rejoinTimer);
    if (!this.swim) return;
    await this.swim.leave();
    await this.swim.shutdown();
    this.log.info('gossip member left');
  }

  private async rejoin(): Promise<void> {
    if (this.closed || !this.swim) return;
    if (this.swim.clusterSize() <= 1) {
      try {
        const reached = await this.swim.join(this.seeds);
        this.log.info({ reached }, 'joined the cluster through seeds');
      } catch (err) {
        this.log.warn({ err, seeds: this.seeds }, 'no seed answered; retrying');
      }
    }
    if (this.closed) return;
    this.rejoinTimer = this.clock.setTimeout(() => void this.rejoin(), this.o.rejoinIntervalMs ?? 5_000);
    this.rejoinTimer.unref?.();
  }

  private isNode(m: Member): boolean {
    const meta = decodeNodeMetadata(m.meta);
    return this.o.isNode ? this.o.isNode(m, meta) : meta.role !== 'control-plane';
  }

  private toNode(m: Member): Node {
    return memberToNode(m, decodeNodeMetadata(m.meta), this.firstSeen.get(m.name) ?? m.stateChangedAt, this.lastHeard.get(m.name) ?? m.stateChangedAt);
  }

  private onMemberChange(m: Member, prev: Member | undefined): void {
    const now = this.clock.now();
    if (!this.firstSeen.has(m.name)) this.firstSeen.set(m.name, now);
    this.lastHeard.set(m.name, now);
    if (!this.isNode(m)) return;
    let event: ClusterEvent;
    if (m.state === 'left') {
      if (!prev || prev.state === 'left') return;
      event = { type: 'NodeRemoved', nodeId: m.name };
    } else if (!prev || prev.state === 'left') event = { type: 'NodeAdded', node: this.toNode(m) };
    else event = { type: 'NodeUpdated', node: this.toNode(m) };
    this.emit(event);
  }

  private emit(event: ClusterEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.error({ err, event: event.type }, 'cluster event listener threw');
      }
    }
  }
}

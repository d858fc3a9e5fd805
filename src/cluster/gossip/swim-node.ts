import { systemClock, type Clock, type TimerHandle } from '../../types/clock.js';
import { OrchestrationError } from '../../types/errors.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import { scaledPushPullInterval, type GossipConfig } from './config.js';
import { Membership, type Member, type MemberChangeListener } from './membership.js';
import { decodePacket, decodeStream, encodePacket, encodeStream, encodedSize, type Message, type StreamMessage } from './messages.js';
import { Prober } from './prober.js';
import { answerStream, pushPull } from './push-pull.js';
import { pickRandom, systemRandom, type Random } from './random.js';
import type { Transport } from './transport.js';

export interface SwimNodeOptions {
  /** Unique, stable name of this member (the node id). */
  name: string;
  transport: Transport;
  config: GossipConfig;
  /** Opaque metadata carried with membership, at most `config.metaMaxBytes` bytes. */
  meta?: string;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/** Traffic counters, for benchmarks and metrics. */
export interface SwimStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  streamsOpened: number;
}

const PACKET_OVERHEAD = 2;

/**
 * One member of a SWIM cluster: the protocol engine that ties the member table, the prober, the
 * gossip of piggybacked updates and the periodic push-pull to a Transport. Owns its timers and its
 * transport; `shutdown` releases both.
 */
export class SwimNode {
  private readonly membership: Membership;
  private readonly broadcasts: BroadcastQueue;
  private readonly awareness: Awareness;
  private readonly prober: Prober;
  private readonly listeners = new Set<MemberChangeListener>();
  private readonly forgetListeners = new Set<(member: Member) => void>();
  private readonly timers = new Set<TimerHandle>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private seq = 0;
  private running = false;
  private stopped = false;
  private readonly counters: SwimStats = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, streamsOpened: 0 };

  constructor(private readonly o: SwimNodeOptions) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.log = (o.logger ?? silentLogger).child({ component: 'gossip', member: o.name });
    checkMeta(o.meta ?? '{}', o.config.metaMaxBytes);
    this.awareness = new Awareness(o.config.awarenessMaxMultiplier);
    this.broadcasts = new BroadcastQueue(o.config.retransmitMult, () => this.membership.size());
    this.membership = new Membership({
      self: { name: o.name, address: o.transport.address, meta: o.meta ?? '{}' },
      config: o.config,
      clock: this.clock,
      random: this.random,
      broadcasts: this.broadcasts,
      awareness: this.awareness,
      logger: this.log,
      onChange: (m, prev) => {
        for (const l of this.listeners) {
          try {
            l(m, prev);
          } catch (err) {
            this.log.error({ err }, 'member change listener threw');
          }
        }
      },
      onForget: (m) => {
        for (const l of this.forgetListeners) l(m);
      },
    });
    this.prober = new Prober({
      config: o.config,
      clock: this.clock,
      random: this.random,
      awareness: this.awareness,
      membership: this.membership,
      send: (to, m, also) => this.send(to, m, also),
      exchange: (to, m, timeoutMs) => this.exchange(to, m, timeoutMs),
      nextSeq: () => ++this.seq,
    });
    o.transport.onPacket((data) => this.handlePacket(data));
    o.transport.onExchange((req) => this.handleStream(req));
  }

  get name(): string {
    return this.o.name;
  }

  get address(): string {
    return this.o.transport.address;
  }

  /** Starts probing, gossiping and periodic push-pull. Idempotent. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.prober.start();
    this.every(() => this.o.config.gossipIntervalMs, () => this.gossip());
    this.every(() => scaledPushPullInterval(this.o.config.pushPullIntervalMs, this.membership.size()), () => void this.pushPullRandom());
    this.every(() => this.o.config.reconnectIntervalMs, () => {
      this.membership.reap();
      void this.reconnect();
    });
  }

  /**
   * Joins through `seeds` (addresses) with a push-pull to each. Resolves with how many answered;
   * rejects with ClusterError when seeds were given and none answered.
   */
  async join(seeds: string[]): Promise<number> {
    let reached = 0;
    const errors: unknown[] = [];
    await Promise.all(
      seeds
        .filter((s) => s !== this.address)
        .map(async (seed) => {
          try {
            await this.pushPull(seed, true);
            reached++;
          } catch (err) {
            errors.push(err);
          }
        }),
    );
    if (reached === 0 && errors.length > 0) throw new OrchestrationError('ClusterError', `could not join through any of ${seeds.join(', ')}`, { cause: errors[0] });
    return reached;
  }

  /** Announces a graceful leave and resolves when the notice has gone out (or `leaveTimeoutMs` passed). */
  leave(): Promise<void> {
    if (this.membership.isLeaving()) return Promise.resolve();
    const others = this.membership.size() - 1;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer) this.clock.clearTimeout(timer);
        resolve();
      };
      this.membership.leave(done);
      if (others <= 0) return done();
      timer = this.clock.setTimeout(done, this.o.config.leaveTimeoutMs);
    });
  }

  /** Stops every timer and closes the transport. Does not announce anything: call `leave` first for that. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.prober.stop();
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.membership.stop();
    await this.o.transport.close();
  }

  members(): Member[] {
    return this.membership.list();
  }

  member(name: string): Member | undefined {
    return this.membership.get(name);
  }

  /** Members alive or suspect, this one included. */
  clusterSize(): number {
    return this.membership.size();
  }

  /** Announces new metadata (throws TooLarge above `metaMaxBytes`). */
  updateMeta(meta: string): void {
    checkMeta(meta, this.o.config.metaMaxBytes);
    this.membership.updateMeta(meta);
  }

  /** Listens to every member change; returns the unsubscribe function. */
  onChange(listener: MemberChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listens for members forgotten after `reapAfterMs` dead or gone; returns the unsubscribe function. */
  onForget(listener: (member: Member) => void): () => void {
    this.forgetListeners.add(listener);
    return () => this.forgetListeners.delete(listener);
  }

  stats(): SwimStats {
    return { ...this.counters };
  }

  healthScore(): number {
    return this.awareness.score();
  }

  /** Sends `message` (and `also`) to `to` with as many queued updates piggybacked as fit in one packet. */
  private send(to: string, message: Message, also: Message[] = []): void {
    if (this.stopped) return;
    const used = [message, ...also].reduce((sum, m) => sum + encodedSize(m), 0);
    const extra = this.broadcasts.take(PACKET_OVERHEAD, this.o.config.packetBudgetBytes - used - PACKET_OVERHEAD);
    this.sendPacket(to, [message, ...also, ...extra]);
  }

  private sendPacket(to: string, messages: Message[]): void {
    const data = encodePacket(messages);
    this.counters.packetsSent++;
    this.counters.bytesSent += data.byteLength;
    this.o.transport.sendPacket(to, data);
  }

  private handlePacket(data: Uint8Array): void {
    if (this.stopped) return;
    this.counters.packetsReceived++;
    const messages = decodePacket(data);
    if (!messages) return this.log.debug({ bytes: data.byteLength }, 'dropped a malformed gossip packet');
    for (const m of messages) {
      switch (m.t) {
        case 'ping':
          if (m.target === this.o.name) this.send(m.fromAddr, { t: 'ack', seq: m.seq });
          break;
        case 'ind':
          this.prober.relay(m);
          break;
        case 'ack':
          this.prober.onAck(m.seq);
          break;
        case 'nack':
          this.prober.onNack(m.seq);
          break;
        case 'alive':
          this.membership.applyAlive(m);
          break;
        case 'suspect':
          this.membership.applySuspect(m);
          break;
        case 'dead':
          this.membership.applyDead(m);
          break;
      }
    }
  }

  private handleStream(request: Uint8Array): Uint8Array {
    if (this.stopped) return encodeStream({ t: 'error', message: 'shutting down' });
    return answerStream(this.membership, request);
  }

  private async exchange(to: string, message: StreamMessage, timeoutMs: number): Promise<StreamMessage | undefined> {
    this.counters.streamsOpened++;
    try {
      return decodeStream(await this.o.transport.exchange(to, encodeStream(message), timeoutMs));
    } catch {
      return undefined;
    }
  }

  private async pushPull(to: string, join: boolean): Promise<void> {
    if (this.stopped) return;
    this.counters.streamsOpened++;
    await pushPull(this.o.transport, this.membership, to, join, this.o.config.streamTimeoutMs);
  }

  private async pushPullRandom(): Promise<void> {
    const [peer] = pickRandom(this.membership.gossipCandidates(), 1, this.random, (m) => m.state === 'alive');
    if (!peer) return;
    try {
      await this.pushPull(peer.address, false);
    } catch (err) {
      this.log.debug({ err, peer: peer.name }, 'push-pull failed');
    }
  }

  /**
   * Tries one member we hold dead (not one that left): if it answers, the partition between us has
   * healed. Two exchanges, because the first makes each side refute the other's verdict with a new
   * incarnation and only the second carries those refutations across.
   */
  private async reconnect(): Promise<void> {
    const dead = this.membership.list().filter((m) => m.state === 'dead');
    const [peer] = pickRandom(dead, 1, this.random);
    if (!peer) return;
    try {
      await this.pushPull(peer.address, false);
      await this.pushPull(peer.address, false);
      this.log.info({ peer: peer.name }, 'reconnected to a member held dead');
    } catch {
      // still unreachable
    }
  }

  /** Piggybacks queued updates on packets to `gossipNodes` random members; sends nothing when there is no news. */
  private gossip(): void {
    if (this.broadcasts.size() === 0) return;
    for (const target of pickRandom(this.membership.gossipCandidates(), this.o.config.gossipNodes, this.random)) {
      const messages = this.broadcasts.take(PACKET_OVERHEAD, this.o.config.packetBudgetBytes);
      if (messages.length === 0) return;
      this.sendPacket(target.address, messages);
    }
  }

  /** Runs `fn` every `interval()` ms, first after a random fraction of it, until shutdown. */
  private every(interval: () => number, fn: () => void): void {
    const arm = (ms: number) => {
      const t = this.clock.setTimeout(() => {
        this.timers.delete(t);
        if (!this.running) return;
        fn();
        arm(interval());
      }, ms);
      t.unref?.();
      this.timers.add(t);
    };
    arm(Math.floor(this.random.next() * interval()));
  }
}

function checkMeta(meta: string, max: number): void {
  const bytes = new TextEncoder().encode(meta).length;
  if (bytes > max) throw new OrchestrationError('TooLarge', `member metadata is ${bytes} bytes, the limit is ${max}`);
}

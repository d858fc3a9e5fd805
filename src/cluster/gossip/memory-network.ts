import type { Clock } from '../../types/clock.js';
import { OrchestrationError } from '../../types/errors.js';
import { randomInt, type Random } from './random.js';
import type { ExchangeHandler, PacketHandler, Transport } from './transport.js';

export interface MemoryNetworkOptions {
  clock: Clock;
  random: Random;
  /** One-way delay of every packet and stream message. */
  latencyMs?: number;
  /** Extra delay, uniform in [0, jitterMs). */
  jitterMs?: number;
  /** Fraction of packets dropped at random (streams are reliable, as TCP is). */
  lossRate?: number;
}

/**
 * A whole network inside one process, for tests and benchmarks: every member attaches a transport,
 * and the network delivers packets on the injected clock, dropping some at random, delaying them,
 * and refusing traffic across partitions. Deterministic under a ManualClock and a seeded Random.
 */
export class MemoryNetwork {
  private readonly nodes = new Map<string, MemoryTransport>();
  private groupOf = new Map<string, number>();
  private lossRate: number;
  packetsDelivered = 0;
  packetsDropped = 0;

  constructor(private readonly opts: MemoryNetworkOptions) {
    this.lossRate = opts.lossRate ?? 0;
  }

  /** A transport at `address`; the address must be free. */
  attach(address: string): Transport {
    if (this.nodes.has(address)) throw new OrchestrationError('ClusterError', `address ${address} is in use`);
    const t = new MemoryTransport(address, this);
    this.nodes.set(address, t);
    return t;
  }

  setLossRate(rate: number): void {
    this.lossRate = rate;
  }

  /**
   * Splits the network: addresses in different groups cannot reach each other. Addresses not named
   * in any group form one more group together.
   */
  partition(...groups: string[][]): void {
    this.groupOf = new Map();
    groups.forEach((g, i) => g.forEach((a) => this.groupOf.set(a, i + 1)));
  }

  heal(): void {
    this.groupOf = new Map();
  }

  canReach(from: string, to: string): boolean {
    return (this.groupOf.get(from) ?? 0) === (this.groupOf.get(to) ?? 0);
  }

  /** @internal */
  detach(address: string): void {
    this.nodes.delete(address);
  }

  /** @internal */
  deliverPacket(from: string, to: string, data: Uint8Array): void {
    if (!this.canReach(from, to) || (this.lossRate > 0 && this.opts.random.next() < this.lossRate)) {
      this.packetsDropped++;
      return;
    }
    const copy = data.slice();
    this.later(() => {
      const target = this.nodes.get(to);
      if (!target || !this.canReach(from, to)) {
        this.packetsDropped++;
        return;
      }
      this.packetsDelivered++;
      target.receivePacket(copy, from);
    });
  }

  /** @internal */
  exchange(from: string, to: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const { clock } = this.opts;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        fn();
      };
      const timer = clock.setTimeout(() => settle(() => reject(new OrchestrationError('Unavailable', `stream to ${to} timed out`))), timeoutMs);
      const copy = request.slice();
      this.later(() => {
        if (!this.canReach(from, to)) return; // the connection hangs until it times out, as across a cut link
        const target = this.nodes.get(to);
        if (!target) return settle(() => reject(new OrchestrationError('Unavailable', `connection to ${to} refused`)));
        Promise.resolve()
          .then(() => target.answer(copy, from))
          .then(
            (reply) => this.later(() => (this.canReach(to, from) && this.nodes.has(from) ? settle(() => resolve(reply.slice())) : undefined)),
            (err: unknown) => this.later(() => settle(() => reject(err))),
          );
      });
    });
  }

  private later(fn: () => void): void {
    const { latencyMs = 1, jitterMs = 0 } = this.opts;
    const delay = latencyMs + (jitterMs > 0 ? randomInt(this.opts.random, jitterMs) : 0);
    this.opts.clock.setTimeout(fn, delay);
  }
}

class MemoryTransport implements Transport {
  private packetHandler: PacketHandler = () => {};
  private exchangeHandler: ExchangeHandler | undefined;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly network: MemoryNetwork,
  ) {}

  sendPacket(to: string, data: Uint8Array): void {
    if (!this.closed) this.network.deliverPacket(this.address, to, data);
  }

  onPacket(handler: PacketHandler): void {
    this.packetHandler = handler;
  }

  exchange(to: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new OrchestrationError('Unavailable', 'transport is closed'));
    return this.network.exchange(this.address, to, request, timeoutMs);
  }

  onExchange(handler: ExchangeHandler): void {
    this.exchangeHandler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.detach(this.address);
  }

  receivePacket(data: Uint8Array, from: string): void {
    if (!this.closed) this.packetHandler(data, from);
  }

  answer(request: Uint8Array, from: string): Promise<Uint8Array> | Uint8Array {
    if (this.closed || !this.exchangeHandler) throw new OrchestrationError('Unavailable', `${this.address} does not accept streams`);
    return this.exchangeHandler(request, from);
  }
}

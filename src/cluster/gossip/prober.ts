import type { Clock, TimerHandle } from '../../types/clock.js';
import type { Awareness } from './awareness.js';
import type { GossipConfig } from './config.js';
import type { Member, Membership } from './membership.js';
import type { IndirectPingMessage, Message, StreamMessage } from './messages.js';
import { pickRandom, type Random } from './random.js';

export interface ProberDeps {
  config: GossipConfig;
  clock: Clock;
  random: Random;
  awareness: Awareness;
  membership: Membership;
  /** Sends `message` (and `also`) to `to` as one packet, with whatever queued updates fit piggybacked. */
  send(to: string, message: Message, also?: Message[]): void;
  /** A message over the reliable stream; undefined when the peer could not be reached. */
  exchange(to: string, message: StreamMessage, timeoutMs: number): Promise<StreamMessage | undefined>;
  nextSeq(): number;
}

interface AckHandler {
  ack(): void;
  nack(): void;
}

/**
 * SWIM's failure detector. Each period it probes one member (round-robin over a shuffled list): a
 * ping, and if no ack within the probe timeout, pings through `indirectChecks` other members plus a
 * TCP ping; if nothing answers by the end of the period, the member is suspected. The period and
 * the wait stretch with our own awareness score (Lifeguard), so an overloaded member backs off
 * instead of accusing healthy ones. A suspect that is probed gets its suspicion with the ping, so it
 * can refute at once (Lifeguard's buddy system). Also serves as the helper for other members' indirect probes.
 */
export class Prober {
  private readonly handlers = new Map<number, AckHandler>();
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly d: ProberDeps) {}

  /** Starts probing after a random part of one period, so members do not probe in lockstep. */
  start(): void {
    this.running = true;
    this.schedule(Math.floor(this.d.random.next() * this.d.config.probeIntervalMs));
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.handlers.clear();
  }

  onAck(seq: number): void {
    this.handlers.get(seq)?.ack();
  }

  onNack(seq: number): void {
    this.handlers.get(seq)?.nack();
  }

  /** Another member asks us to ping `target` for it: forward the ack, or a nack if none comes in time. */
  relay(req: IndirectPingMessage): void {
    const { clock, config, membership } = this.d;
    const seq = this.d.nextSeq();
    const self = membership.self();
    // The nack must reach the origin before its probe period ends (it sent us the request one probe
    // timeout into the period), or it counts against the origin's own health: answer at 80 %.
    const timer = clock.setTimeout(() => {
      this.handlers.delete(seq);
      this.d.send(req.fromAddr, { t: 'nack', seq: req.seq });
    }, Math.floor(config.probeTimeoutMs * 0.8));
    this.handlers.set(seq, {
      ack: () => {
        clock.clearTimeout(timer);
        this.handlers.delete(seq);
        this.d.send(req.fromAddr, { t: 'ack', seq: req.seq });
      },
      nack: () => {},
    });
    this.d.send(req.targetAddr, { t: 'ping', seq, target: req.target, from: self.name, fromAddr: self.address });
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.d.clock.setTimeout(() => this.tick(), Math.max(0, ms));
    this.timer.unref?.();
  }

  private tick(): void {
    if (!this.running) return;
    const started = this.d.clock.now();
    const target = this.d.membership.nextProbeTarget();
    if (!target) return this.schedule(this.d.config.probeIntervalMs);
    this.probe(target, () => {
      const period = this.d.awareness.scale(this.d.config.probeIntervalMs);
      this.schedule(started + period - this.d.clock.now());
    });
  }

  private probe(target: Member, done: () => void): void {
    const { clock, config, awareness, membership } = this.d;
    const self = membership.self();
    const seq = this.d.nextSeq();
    const deadline = awareness.scale(config.probeIntervalMs);
    let finished = false;
    let nacks = 0;
    let expectedNacks = 0;
    let tcpPending = false;
    const timers: TimerHandle[] = [];
    // Every helper has nacked and the TCP ping has failed outright: waiting out the period learns nothing more.
    const conclusive = () => expectedNacks > 0 && nacks >= expectedNacks && !tcpPending;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      for (const t of timers) clock.clearTimeout(t);
      this.handlers.delete(seq);
      if (ok) awareness.apply(-1);
      else {
        // Helpers that neither acked nor nacked point at our own network, not the target's.
        awareness.apply(Math.max(0, expectedNacks - nacks));
        if (this.running) membership.applySuspect({ t: 'suspect', name: target.name, inc: target.incarnation, from: self.name });
      }
      done();
    };
    this.handlers.set(seq, {
      ack: () => finish(true),
      nack: () => {
        nacks++;
        if (conclusive()) finish(false);
      },
    });
    const ping = { t: 'ping' as const, seq, target: target.name, from: self.name, fromAddr: self.address };
    // Lifeguard's buddy system: a suspect hears of its suspicion from the prober itself, at once.
    this.d.send(target.address, ping, target.state === 'suspect' ? [{ t: 'suspect', name: target.name, inc: target.incarnation, from: self.name }] : []);

    timers.push(
      clock.setTimeout(() => {
        if (finished) return;
        const helpers = pickRandom(membership.gossipCandidates(), config.indirectChecks, this.d.random, (m) => m.state === 'alive' && m.name !== target.name);
        if (config.tcpFallbackPing) {
          tcpPending = true;
          void this.d.exchange(target.address, ping, Math.max(1, deadline - config.probeTimeoutMs)).then((reply) => {
            tcpPending = false;
            if (reply?.t === 'ack' && reply.seq === seq) finish(true);
            else if (conclusive()) finish(false);
          });
        }
        expectedNacks = helpers.length;
        for (const h of helpers) this.d.send(h.address, { t: 'ind', seq, target: target.name, targetAddr: target.address, from: self.name, fromAddr: self.address });
      }, config.probeTimeoutMs),
      clock.setTimeout(() => finish(false), deadline),
    );
  }
}

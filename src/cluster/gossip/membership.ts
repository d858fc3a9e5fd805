import type { Clock } from '../../types/clock.js';
import type { Logger } from '../../types/logger.js';
import type { Awareness } from './awareness.js';
import type { BroadcastQueue } from './broadcast-queue.js';
import type { GossipConfig } from './config.js';
import type { AliveMessage, DeadMessage, MemberState, PushPullState, SuspectMessage } from './messages.js';
import { randomInt, shuffle, type Random } from './random.js';
import { Suspicion, suspicionTimeout } from './suspicion.js';

/** One member as this member sees it. `meta` is opaque (JSON text by convention). */
export interface Member {
  name: string;
  address: string;
  meta: string;
  incarnation: number;
  state: MemberState;
  /** Clock time of the last state change. */
  stateChangedAt: number;
}

/** Called after every change of a member's state, metadata or address; `previous` is undefined for a new member. */
export type MemberChangeListener = (member: Member, previous: Member | undefined) => void;

export interface MembershipOptions {
  self: { name: string; address: string; meta: string };
  config: GossipConfig;
  clock: Clock;
  random: Random;
  broadcasts: BroadcastQueue;
  awareness: Awareness;
  logger: Logger;
  onChange: MemberChangeListener;
  /** Called when a dead or departed member is forgotten (see `reap`). */
  onForget?: (member: Member) => void;
}

interface Entry extends Member {
  suspicion?: Suspicion;
}

/**
 * The member table and the SWIM state machine: every alive / suspect / dead message, whether from
 * a packet, a push-pull or our own prober, goes through `applyAlive`, `applySuspect` or `applyDead`.
 * The rules (memberlist's state.go): a message about an older incarnation is ignored; a suspicion
 * overrides alive at the same incarnation and starts a timer; only a higher incarnation, which only
 * the member itself issues, clears a suspicion; dead is final for that incarnation. A message
 * accusing this member is refuted with a higher incarnation. Accepted changes are re-gossiped.
 */
export class Membership {
  private readonly members = new Map<string, Entry>();
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private leaving = false;
  private stopped = false;
  readonly selfName: string;

  constructor(private readonly o: MembershipOptions) {
    this.selfName = o.self.name;
    this.applyAlive({ t: 'alive', name: o.self.name, inc: 1, addr: o.self.address, meta: o.self.meta }, true);
  }

  self(): Member {
    return snapshot(this.members.get(this.selfName)!);
  }

  get(name: string): Member | undefined {
    const e = this.members.get(name);
    return e && snapshot(e);
  }

  list(): Member[] {
    return [...this.members.values()].map(snapshot);
  }

  /** Members taking part: alive or suspect, this one included. Sizes timeouts and retransmit limits. */
  size(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.state === 'alive' || m.state === 'suspect') n++;
    return n;
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  applyAlive(a: AliveMessage, bootstrap = false): void {
    if (this.stopped) return;
    const isSelf = a.name === this.selfName;
    if (isSelf && this.leaving) return;
    let e = this.members.get(a.name);
    const previous = e && snapshot(e);
    if (!e) {
      e = { name: a.name, address: a.addr, meta: a.meta, incarnation: a.inc, state: 'dead', stateChangedAt: this.o.clock.now() };
      this.members.set(a.name, e);
      const at = randomInt(this.o.random, this.probeOrder.length + 1);
      this.probeOrder.splice(at, 0, a.name);
      if (at < this.probeIndex) this.probeIndex++; // keep the pass where it was: nobody is probed twice in it
    } else {
      if (a.inc < e.incarnation || (a.inc === e.incarnation && !isSelf)) return;
      if (isSelf && !bootstrap) {
        if (a.inc === e.incarnation && a.meta === e.meta) return;
        this.refute(e, a.inc);
        return;
      }
    }
    e.suspicion?.cancel();
    e.suspicion = undefined;
    this.o.broadcasts.enqueue({ about: a.name, message: a });
    e.incarnation = a.inc;
    e.meta = a.meta;
    e.address = a.addr;
    if (e.state !== 'alive') {
      e.state = 'alive';
      e.stateChangedAt = this.o.clock.now();
    }
    this.changed(e, previous);
  }

  applySuspect(s: SuspectMessage): void {
    if (this.stopped) return;
    const e = this.members.get(s.name);
    if (!e || s.inc < e.incarnation) return;
    if (e.suspicion) {
      if (e.suspicion.confirm(s.from)) this.o.broadcasts.enqueue({ about: s.name, message: s });
      return;
    }
    if (e.state !== 'alive') return;
    if (e.name === this.selfName) {
      if (!this.leaving) this.refute(e, s.inc);
      return;
    }
    const previous = snapshot(e);
    this.o.broadcasts.enqueue({ about: s.name, message: s });
    e.incarnation = s.inc;
    e.state = 'suspect';
    const since = (e.stateChangedAt = this.o.clock.now());
    const n = this.size();
    const k = n - 2 < this.o.config.suspicionMult - 2 ? 0 : this.o.config.suspicionMult - 2;
    const minMs = suspicionTimeout(this.o.config.suspicionMult, n, this.o.config.probeIntervalMs);
    e.suspicion = new Suspicion({
      from: s.from,
      k,
      minMs,
      maxMs: this.o.config.suspicionMaxTimeoutMult * minMs,
      clock: this.o.clock,
      onTimeout: (confirmations) => {
        const now = this.members.get(s.name);
        if (!now || now.state !== 'suspect' || now.stateChangedAt !== since) return;
        this.o.logger.info({ member: s.name, confirmations, afterMs: this.o.clock.now() - since }, 'suspicion timed out');
        this.applyDead({ t: 'dead', name: s.name, inc: now.incarnation, from: this.selfName });
      },
    });
    this.changed(e, previous);
  }

  applyDead(d: DeadMessage): void {
    if (this.stopped) return;
    const e = this.members.get(d.name);
    if (!e || d.inc < e.incarnation) return;
    e.suspicion?.cancel();
    e.suspicion = undefined;
    if (e.state === 'dead' || e.state === 'left') {
      // A member we saw die may still announce a graceful leave: record the better reason.
      if (!(e.state === 'dead' && d.from === d.name)) return;
    } else if (e.name === this.selfName && !this.leaving) {
      this.refute(e, d.inc);
      return;
    }
    const previous = snapshot(e);
    this.o.broadcasts.enqueue({ about: d.name, message: d });
    e.incarnation = d.inc;
    e.state = d.from === d.name ? 'left' : 'dead';
    e.stateChangedAt = this.o.clock.now();
    this.changed(e, previous);
  }

  /** Announces new metadata for this member under a new incarnation. */
  updateMeta(meta: string): void {
    const e = this.members.get(this.selfName)!;
    const previous = snapshot(e);
    e.meta = meta;
    e.incarnation++;
    this.o.broadcasts.enqueue({ about: e.name, message: aliveOf(e) });
    this.changed(e, previous);
  }

  /** Marks this member as leaving and queues the notice; `onSent` runs when it has gone out in full. */
  leave(onSent: () => void): void {
    const e = this.members.get(this.selfName)!;
    this.leaving = true;
    const previous = snapshot(e);
    e.state = 'left';
    e.stateChangedAt = this.o.clock.now();
    this.o.broadcasts.enqueue({ about: e.name, message: { t: 'dead', name: e.name, inc: e.incarnation, from: e.name }, onFinished: onSent });
    this.changed(e, previous);
  }

  /**
   * The next member to probe: round-robin over a shuffled list of alive and suspect members, the
   * list reshuffled after each full pass (SWIM's bound on time to first detection).
   */
  nextProbeTarget(): Member | undefined {
    for (let checked = 0; checked <= this.probeOrder.length; checked++) {
      if (this.probeIndex >= this.probeOrder.length) {
        this.probeOrder = shuffle(
          [...this.members.values()].filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.name),
          this.o.random,
        );
        this.probeIndex = 0;
        if (this.probeOrder.length === 0) return undefined;
      }
      const e = this.members.get(this.probeOrder[this.probeIndex++]);
      if (e && e.name !== this.selfName && (e.state === 'alive' || e.state === 'suspect')) return snapshot(e);
    }
    return undefined;
  }

  /** Members worth gossiping to: alive, suspect, or dead for less than gossipToTheDead (so it can refute). */
  gossipCandidates(): Member[] {
    const now = this.o.clock.now();
    return [...this.members.values()]
      .filter((m) => m.name !== this.selfName && (m.state === 'alive' || m.state === 'suspect' || (m.state === 'dead' && now - m.stateChangedAt < this.o.config.gossipToTheDeadMs)))
      .map(snapshot);
  }

  /** Our whole view, for a push-pull. */
  localState(): PushPullState[] {
    return [...this.members.values()].map((m) => ({ name: m.name, addr: m.address, inc: m.incarnation, state: m.state, meta: m.meta }));
  }

  /**
   * Merges a peer's whole view. A peer's "dead" becomes our suspicion rather than a verdict: we give
   * the member its chance to refute, as memberlist does.
   */
  mergeRemote(states: PushPullState[]): void {
    for (const s of states) {
      if (s.state === 'alive') this.applyAlive({ t: 'alive', name: s.name, inc: s.inc, addr: s.addr, meta: s.meta });
      else if (s.state === 'left') this.applyDead({ t: 'dead', name: s.name, inc: s.inc, from: s.name });
      else this.applySuspect({ t: 'suspect', name: s.name, inc: s.inc, from: this.selfName });
    }
  }

  /** Forgets members dead or gone for longer than `reapAfterMs`; they no longer appear anywhere. */
  reap(): void {
    const now = this.o.clock.now();
    for (const e of [...this.members.values()]) {
      if ((e.state === 'dead' || e.state === 'left') && e.name !== this.selfName && now - e.stateChangedAt > this.o.config.reapAfterMs) {
        this.members.delete(e.name);
        this.o.logger.info({ member: e.name, state: e.state }, 'member forgotten');
        this.o.onForget?.(snapshot(e));
      }
    }
  }

  /** Cancels every suspicion timer and ignores all news from now on (on shutdown). */
  stop(): void {
    this.stopped = true;
    for (const e of this.members.values()) e.suspicion?.cancel();
  }

  private refute(e: Entry, accusedInc: number): void {
    const previous = snapshot(e);
    e.incarnation = Math.max(e.incarnation, accusedInc) + 1;
    this.o.awareness.apply(1);
    this.o.broadcasts.enqueue({ about: e.name, message: aliveOf(e) });
    this.o.logger.debug({ incarnation: e.incarnation }, 'refuted a suspicion of this member');
    this.changed(e, previous);
  }

  private changed(e: Entry, previous: Member | undefined): void {
    const now = snapshot(e);
    if (previous && previous.state === now.state && previous.meta === now.meta && previous.address === now.address && previous.incarnation === now.incarnation) return;
    if (!previous || previous.state !== now.state) this.o.logger.info({ member: e.name, from: previous?.state ?? 'unknown', to: now.state, incarnation: now.incarnation }, 'member state changed');
    this.o.onChange(now, previous);
  }
}

function snapshot(e: Entry): Member {
  return { name: e.name, address: e.address, meta: e.meta, incarnation: e.incarnation, state: e.state, stateChangedAt: e.stateChangedAt };
}

function aliveOf(e: Member): AliveMessage {
  return { t: 'alive', name: e.name, inc: e.incarnation, addr: e.address, meta: e.meta };
}

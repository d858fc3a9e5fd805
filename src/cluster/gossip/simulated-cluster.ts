import { ManualClock } from '../../types/clock.js';
import { silentLogger, type Logger } from '../../types/logger.js';
import { gossipConfig, type GossipConfig } from './config.js';
import { MemoryNetwork } from './memory-network.js';
import type { MemberState } from './messages.js';
import { seededRandom } from './random.js';
import { SwimNode } from './swim-node.js';

export interface SimulatedClusterOptions {
  config?: Partial<GossipConfig>;
  seed?: number;
  lossRate?: number;
  latencyMs?: number;
  jitterMs?: number;
  logger?: Logger;
}

/** One state change seen by one member: `observer` saw `member` become `state` at simulated `at` ms. */
export interface ObservedChange {
  at: number;
  observer: string;
  member: string;
  state: MemberState;
  incarnation: number;
}

/**
 * A whole SWIM cluster in one process on simulated time: members on a MemoryNetwork, all timers on
 * one ManualClock, all randomness from one seed. Used by the protocol's tests and by the in-memory
 * half of `bench/gossip.ts`. Every state change any member observes is recorded in `changes`.
 */
export class SimulatedCluster {
  readonly clock = new ManualClock(0);
  readonly network: MemoryNetwork;
  readonly config: GossipConfig;
  readonly nodes = new Map<string, SwimNode>();
  readonly changes: ObservedChange[] = [];
  private seedCounter: number;

  constructor(private readonly o: SimulatedClusterOptions = {}) {
    this.seedCounter = o.seed ?? 1;
    this.config = gossipConfig('lan', o.config);
    this.network = new MemoryNetwork({ clock: this.clock, random: seededRandom(this.seedCounter * 7919), latencyMs: o.latencyMs ?? 1, jitterMs: o.jitterMs ?? 0, lossRate: o.lossRate ?? 0 });
  }

  /** Adds and starts a member named `name` at address `name`, optionally joining through `seeds`. */
  async add(name: string, seeds: string[] = [], meta = '{}'): Promise<SwimNode> {
    const node = new SwimNode({
      name,
      transport: this.network.attach(name),
      config: this.config,
      meta,
      clock: this.clock,
      random: seededRandom(++this.seedCounter * 104729),
      logger: this.o.logger ?? silentLogger,
    });
    node.onChange((m) => this.changes.push({ at: this.clock.now(), observer: name, member: m.name, state: m.state, incarnation: m.incarnation }));
    this.nodes.set(name, node);
    node.start();
    if (seeds.length > 0) {
      let settled = false;
      const joined = node.join(seeds).finally(() => (settled = true));
      joined.catch(() => {});
      await this.runUntil(() => settled, 30_000);
      await joined;
    }
    return node;
  }

  /** Starts `n` members `m0..m{n-1}`, each joining through m0. */
  async addMany(n: number, prefix = 'm'): Promise<SwimNode[]> {
    const out: SwimNode[] = [];
    for (let i = 0; i < n; i++) out.push(await this.add(`${prefix}${i}`, i === 0 ? [] : [`${prefix}0`]));
    return out;
  }

  node(name: string): SwimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no member ${name}`);
    return n;
  }

  /** Stops a member without a word, as a crash or `kill -9` would. */
  async kill(name: string): Promise<void> {
    await this.node(name).shutdown();
    this.nodes.delete(name);
  }

  /** Advances simulated time by `ms`, letting promise continuations (push-pull) run between steps. */
  async run(ms: number, stepMs = 10): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      this.clock.advance(Math.min(stepMs, end - this.clock.now()));
      await flush();
    }
  }

  /** Runs until `done()` holds; resolves with the simulated ms it took, or undefined after `maxMs`. */
  async runUntil(done: () => boolean, maxMs: number, stepMs = 10): Promise<number | undefined> {
    const start = this.clock.now();
    await flush();
    while (!done()) {
      if (this.clock.now() - start >= maxMs) return undefined;
      this.clock.advance(stepMs);
      await flush();
    }
    return this.clock.now() - start;
  }

  /** How `observer` currently sees `member`. */
  stateOf(observer: string, member: string): MemberState | undefined {
    return this.node(observer).member(member)?.state;
  }

  /** True when every running member sees exactly the running members alive. */
  converged(): boolean {
    const names = [...this.nodes.keys()];
    for (const n of this.nodes.values()) {
      for (const other of names) if (n.member(other)?.state !== 'alive') return false;
    }
    return true;
  }

  /** Running members other than `except`. */
  others(except: string): string[] {
    return [...this.nodes.keys()].filter((n) => n !== except);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.shutdown()));
    this.nodes.clear();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

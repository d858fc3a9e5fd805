/**
 * `npm run bench -- gossip [--sizes 10,50,100] [--quiet-seconds 60] [--transports memory,lossy,udp] [--trials 15] [--udp-trials 5]`
 *
 * SWIM membership at N members, all in this process, on three networks:
 *  - memory: the in-memory network on a simulated clock (ManualClock): times are simulated seconds,
 *    free of this machine's scheduling noise;
 *  - lossy: the same with 10 % of packets dropped at random;
 *  - udp: real UDP and TCP sockets on 127.0.0.1, real time.
 * For each: time until every member sees every other alive after all join at once through one seed;
 * a quiet period (false suspicions, false Down marks, packets per member per second); then one
 * member is killed without a word and we time the first suspicion, the first and the last member to
 * declare it dead. Floors (issue 4): memberlist's LAN defaults on this machine reach every member in
 * about 6 s (N=10), 9 s (N=50), 10 s (N=100), first suspicion within about 2 s, zero false Down marks,
 * about 2 packets per member per second.
 */
import { ManualClock, systemClock, type Clock } from '../src/types/clock.js';
import { gossipConfig } from '../src/cluster/gossip/config.js';
import { MemoryNetwork } from '../src/cluster/gossip/memory-network.js';
import type { MemberState } from '../src/cluster/gossip/messages.js';
import { seededRandom, systemRandom } from '../src/cluster/gossip/random.js';
import { SwimNode } from '../src/cluster/gossip/swim-node.js';
import type { Transport } from '../src/cluster/gossip/transport.js';
import { UdpTransport } from '../src/cluster/gossip/udp-transport.js';
import { printTable, writeResult, type BenchRow } from './report.js';

type Kind = 'memory' | 'lossy' | 'udp';
const FLOOR_ALL_DEAD_S: Record<number, number> = { 10: 6, 50: 9, 100: 10 };

interface Harness {
  clock: Clock;
  transport(name: string): Promise<Transport>;
  /** Lets `ms` of (simulated or real) time pass. */
  run(ms: number): Promise<void>;
  /** Waits until `cond` holds or `maxMs` passed; true when it held. */
  until(cond: () => boolean, maxMs: number): Promise<boolean>;
}

function simulatedHarness(seed: number): Harness & { network: MemoryNetwork } {
  const clock = new ManualClock(0);
  const network = new MemoryNetwork({ clock, random: seededRandom(seed), latencyMs: 1, jitterMs: 2, lossRate: 0 });
  const flush = () => new Promise<void>((r) => setImmediate(r));
  const step = 10;
  return {
    clock,
    network,
    transport: async (name) => network.attach(name),
    run: async (ms) => {
      for (let t = 0; t < ms; t += step) {
        clock.advance(step);
        await flush();
      }
    },
    until: async (cond, maxMs) => {
      const end = clock.now() + maxMs;
      while (!cond() && clock.now() < end) {
        clock.advance(step);
        await flush();
      }
      return cond();
    },
  };
}

function realHarness(): Harness {
  const poll = 20;
  return {
    clock: systemClock,
    transport: (_name) => UdpTransport.create({ bindAddr: '127.0.0.1:0' }),
    run: (ms) => new Promise((r) => setTimeout(r, ms)),
    until: async (cond, maxMs) => {
      const end = Date.now() + maxMs;
      while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, poll));
      return cond();
    },
  };
}

/** Counts, from change events, how many members each member sees alive, and every non-alive mark. */
class Tracker {
  readonly aliveSeen = new Map<string, number>();
  readonly marks: Array<{ at: number; observer: string; member: string; state: MemberState }> = [];
  private full = 0;
  convergedAt: number | undefined;

  constructor(
    private readonly n: number,
    private readonly clock: Clock,
  ) {}

  watch(node: SwimNode): void {
    const observer = node.name;
    this.aliveSeen.set(observer, node.members().filter((m) => m.state === 'alive').length);
    node.onChange((m, prev) => {
      const was = prev?.state === 'alive';
      const is = m.state === 'alive';
      if (m.state !== 'alive' && prev?.state !== m.state) this.marks.push({ at: this.clock.now(), observer, member: m.name, state: m.state });
      if (was === is) return;
      const before = this.aliveSeen.get(observer)!;
      const after = before + (is ? 1 : -1);
      this.aliveSeen.set(observer, after);
      if (before === this.n) this.full--;
      if (after === this.n) this.full++;
      if (this.full === this.n && this.convergedAt === undefined) this.convergedAt = this.clock.now();
    });
  }

  converged(): boolean {
    return this.full === this.n;
  }
}

interface Cluster {
  h: Harness;
  sim: ReturnType<typeof simulatedHarness> | undefined;
  nodes: SwimNode[];
  tracker: Tracker;
  joinS: number | null;
}

/** Starts `n` members that all join through the first at once, and waits until each sees all alive. */
async function startCluster(kind: Kind, n: number, seed: number): Promise<Cluster> {
  const config = gossipConfig('lan');
  const sim = kind === 'udp' ? undefined : simulatedHarness(seed);
  const h: Harness = sim ?? realHarness();
  const names = Array.from({ length: n }, (_, i) => `m${i}`);
  const transports = await Promise.all(names.map((name) => h.transport(name)));
  const tracker = new Tracker(n, h.clock);
  const nodes = names.map((name, i) => new SwimNode({ name, transport: transports[i], config, clock: h.clock, random: sim ? seededRandom(seed * 1000 + i) : systemRandom }));
  for (const node of nodes) tracker.watch(node);
  const t0 = h.clock.now();
  for (const node of nodes) node.start();
  void Promise.all(nodes.slice(1).map((node) => node.join([nodes[0].address]).catch(() => 0)));
  const converged = await h.until(() => tracker.converged(), 60_000);
  if (sim && kind === 'lossy') sim.network.setLossRate(0.1); // loss starts after the join: the quiet and death phases run lossy
  await h.run(5_000); // let the join news finish its retransmissions before measuring a quiet cluster
  return { h, sim, nodes, tracker, joinS: converged ? (tracker.convergedAt! - t0) / 1000 : null };
}

/** Traffic and false marks over a quiet period of `seconds`. */
async function quietPeriod(c: Cluster, seconds: number) {
  const { h, nodes, tracker } = c;
  const start = h.clock.now();
  const before = nodes.map((x) => x.stats());
  await h.run(seconds * 1000);
  const end = h.clock.now();
  const after = nodes.map((x) => x.stats());
  const elapsedS = (end - start) / 1000;
  const perMember = (k: 'packetsSent' | 'bytesSent' | 'streamsOpened') => after.reduce((sum, x, i) => sum + x[k] - before[i][k], 0) / nodes.length / elapsedS;
  return {
    quietS: Math.round(elapsedS),
    falseSuspect: tracker.marks.filter((m) => m.state === 'suspect' && m.at >= start && m.at < end).length,
    pktsPerMemberS: Math.round(perMember('packetsSent') * 100) / 100,
    bytesPerMemberS: Math.round(perMember('bytesSent')),
    streamsPerMemberS: Math.round(perMember('streamsOpened') * 1000) / 1000,
  };
}

/** Kills one member without a word and times how the survivors learn of it. */
async function death(c: Cluster, victim: SwimNode) {
  const { h, nodes, tracker } = c;
  const killedAt = h.clock.now();
  await victim.shutdown();
  const survivors = nodes.filter((x) => x !== victim);
  const deadSeen = () => new Set(tracker.marks.filter((m) => m.member === victim.name && m.state === 'dead' && m.at >= killedAt).map((m) => m.observer)).size;
  const all = await h.until(() => deadSeen() >= survivors.length, 60_000);
  const about = tracker.marks.filter((m) => m.member === victim.name && m.at >= killedAt);
  const since = (m: { at: number } | undefined) => (m ? (m.at - killedAt) / 1000 : null);
  const deadMarks = about.filter((m) => m.state === 'dead');
  return { firstSuspect: since(about.find((m) => m.state === 'suspect')), firstDead: since(deadMarks[0]), allDead: all ? since(deadMarks[deadMarks.length - 1]) : null };
}

/** One row: `trials` fresh clusters of `n`, each losing one member; the first also runs the quiet period. */
async function scenario(kind: Kind, n: number, quietSeconds: number, trials: number): Promise<BenchRow> {
  const deaths: Array<Awaited<ReturnType<typeof death>>> = [];
  const joins: Array<number | null> = [];
  let quiet: Awaited<ReturnType<typeof quietPeriod>> | undefined;
  let falseDown = 0;
  for (let t = 0; t < trials; t++) {
    const c = await startCluster(kind, n, n * 100 + t);
    joins.push(c.joinS);
    if (t === 0) quiet = await quietPeriod(c, quietSeconds);
    const victim = c.nodes[1 + ((t * 7) % (n - 1))];
    deaths.push(await death(c, victim));
    falseDown += c.tracker.marks.filter((m) => m.state === 'dead' && m.member !== victim.name).length;
    await Promise.all(c.nodes.filter((x) => x !== victim).map((x) => x.shutdown()));
  }
  const stat = (xs: Array<number | null>, f: (xs: number[]) => number) => (xs.some((x) => x === null) ? null : f(xs as number[]));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const max = (xs: number[]) => Math.max(...xs);
  return {
    network: kind === 'lossy' ? 'memory, 10% loss' : kind,
    clock: kind === 'udp' ? 'real' : 'simulated',
    members: n,
    trials,
    joinConvergeS: stat(joins, median),
    firstSuspectS: stat(deaths.map((d) => d.firstSuspect), median),
    firstSuspectMaxS: stat(deaths.map((d) => d.firstSuspect), max),
    firstDeadS: stat(deaths.map((d) => d.firstDead), median),
    allDeadS: stat(deaths.map((d) => d.allDead), median),
    allDeadMaxS: stat(deaths.map((d) => d.allDead), max),
    floorAllDeadS: FLOOR_ALL_DEAD_S[n] ?? null,
    ...quiet!,
    falseDown,
  };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

export async function run(args: string[]): Promise<void> {
  const quietSeconds = Number(flag(args, '--quiet-seconds') ?? 60);
  const sizes = (flag(args, '--sizes') ?? '10,50,100').split(',').map(Number);
  const kinds = (flag(args, '--transports') ?? 'memory,lossy,udp').split(',') as Kind[];
  const simDeaths = Number(flag(args, '--trials') ?? 15);
  const udpDeaths = Number(flag(args, '--udp-trials') ?? 5);
  const rows: BenchRow[] = [];
  for (const kind of kinds) {
    for (const n of sizes) {
      process.stderr.write(`gossip: ${kind} N=${n}, quiet ${quietSeconds}s ...\n`);
      rows.push(await scenario(kind, n, quietSeconds, kind === 'udp' ? udpDeaths : simDeaths));
    }
  }
  printTable('SWIM gossip membership (LAN profile: 1 s probes, 500 ms probe timeout, 3 indirect, suspicion ×4..×6, gossip 200 ms × 3)', rows);
  writeResult('gossip', { profile: 'lan', config: gossipConfig('lan'), quietSeconds, floors: { allDeadS: FLOOR_ALL_DEAD_S, firstSuspectS: 2, falseDown: 0, pktsPerMemberS: 2 }, rows });
}

/**
 * `npm run bench -- store [--seconds S] [--trials N] [--ttl T,T2]`
 *
 * 1. Write throughput and latency of every StateStore: memory, SQLite (synchronous=FULL) and etcd
 *    with 1 and 3 members (Debian's etcd on loopback, data on this machine's disk), each with 1 and
 *    64 concurrent writers doing single-key commits of ~256 bytes for S seconds (default 3).
 * 2. Leader failover on a 3-member etcd: a leader elector in its own process is killed with SIGKILL
 *    at a random point of its renewal cycle; the time until the other replica is leader *and* its
 *    first guarded write has committed, over N trials (default 5), for each lease TTL asked
 *    (default: the elector's default of 4 s, then 5 s and 2 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EtcdLeaderElector } from '../src/cluster/leader/etcd-leader-elector.js';
import { DEFAULT_LEASE_TTL_SECONDS, leaseTiming } from '../src/cluster/leader/lease-keeper.js';
import { EtcdStateStore } from '../src/store/etcd-store.js';
import { MemoryStateStore } from '../src/store/memory-store.js';
import { SqliteStateStore } from '../src/store/sqlite-store.js';
import type { StateStore } from '../src/store/state-store.js';
import { EtcdCluster } from '../test/support/etcd.js';
import { which } from '../test/support/system.js';
import { ElectorProcess } from './_elector-process.js';
import { percentile, printTable, writeResult, type BenchRow } from './report.js';

interface Args {
  seconds: number;
  trials: number;
  ttls: number[];
}

function parseArgs(args: string[]): Args {
  const get = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    seconds: Number(get('seconds') ?? 3),
    trials: Number(get('trials') ?? 5),
    ttls: (get('ttl') ?? `${DEFAULT_LEASE_TTL_SECONDS},5,2`).split(',').map(Number),
  };
}

const VALUE = JSON.stringify({ kind: 'instance', pad: 'x'.repeat(200) });

/** `writers` loops committing one put each, back to back, for `seconds`. */
async function measureWrites(store: StateStore, writers: number, seconds: number): Promise<BenchRow> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let errors = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        try {
          await store.commit([{ op: 'put', key: `/bench/w${w}/${n % 1000}`, value: VALUE }]);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    writers,
    writesPerSec: Math.round(latencies.length / elapsed),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    errors,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function throughput(args: Args): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const stores: Array<{ name: string; open: () => Promise<{ store: StateStore; done: () => Promise<void> }> }> = [
    { name: 'memory', open: async () => ({ store: new MemoryStateStore(), done: async () => {} }) },
    {
      name: 'sqlite',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'orch-bench-sqlite-'));
        const store = new SqliteStateStore(join(dir, 'state.db'));
        return { store, done: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  if (which('etcd')) {
    for (const members of [1, 3] as const) {
      stores.push({
        name: `etcd-${members}`,
        open: async () => {
          const cluster = await EtcdCluster.start({ members });
          const store = await EtcdStateStore.open(cluster.url('/bench'));
          return { store, done: () => cluster.stop() };
        },
      });
    }
  } else process.stderr.write('etcd not on PATH: etcd rows skipped\n');
  // A fresh store for every row: each row starts from an empty store, not from the previous row's keys and history.
  for (const s of stores) {
    for (const writers of [1, 64]) {
      const { store, done } = await s.open();
      try {
        rows.push({ store: s.name, ...(await measureWrites(store, writers, args.seconds)) });
      } finally {
        await store.close();
        await done();
      }
    }
  }
  return rows;
}

async function failover(args: Args): Promise<BenchRow[]> {
  if (!which('etcd')) return [];
  const cluster = await EtcdCluster.start({ members: 3 });
  const rows: BenchRow[] = [];
  try {
    for (const ttl of args.ttls) {
      const times: number[] = [];
      const leaderTimes: number[] = [];
      for (let trial = 0; trial < args.trials; trial++) {
        const url = cluster.url(`/failover-${ttl}-${trial}`);
        const child = ElectorProcess.spawn(url, 'doomed', ttl);
        const store = await EtcdStateStore.open(url);
        const elector = new EtcdLeaderElector(store, { id: 'survivor', address: 'bench', ttlSeconds: ttl });
        try {
          await child.waitFor((l) => l.event === 'wrote');
          await elector.start();
          if (elector.isLeader()) throw new Error('survivor led before the kill');
          const leads = new Promise<number>((resolve) => elector.onChange((isLeader) => isLeader && resolve(performance.now())));
          // Crash at a random point of the leader's renewal cycle, as real crashes do: failover is
          // the TTL minus the time since its last renewal, plus etcd's expiry sweep (≤ 0.5 s).
          await new Promise((r) => setTimeout(r, Math.random() * leaseTiming(ttl).renewEveryMs));
          const killedAt = performance.now();
          await child.kill9();
          const ledAt = await leads;
          const res = await store.commit([elector.guard(), { op: 'put', key: '/bench/leader-writes', value: 'survivor' }]);
          if (!res.ok) throw new Error('guarded write of the new leader failed');
          times.push(performance.now() - killedAt);
          leaderTimes.push(ledAt - killedAt);
        } finally {
          await child.stop();
          await elector.stop();
          await store.close();
        }
      }
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({
        ttlSeconds: ttl,
        trials: times.length,
        medianMs: Math.round(percentile(sorted, 50)),
        maxMs: Math.round(sorted[sorted.length - 1]),
        minMs: Math.round(sorted[0]),
        medianToLeaderMs: Math.round(percentile([...leaderTimes].sort((a, b) => a - b), 50)),
        allMs: times.map((t) => Math.round(t)).join(' '),
      });
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const writes = await throughput(args);
  printTable(`State store writes (${args.seconds} s per row, single-key commits of ${VALUE.length} B)`, writes);
  const fail = await failover(args);
  printTable('Leader failover on 3-member etcd: leader process kill -9 → new leader’s first guarded write committed', fail);
  writeResult('store', { args, writes, failover: fail });
}

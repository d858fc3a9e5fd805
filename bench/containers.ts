/**
 * `npm run bench -- containers [N]`: N busybox replicas through the whole single-machine cluster
 * on runc, from submission to all Running, next to a bare loop of `runc create` + `runc start` for
 * the same N containers measured in the same run (the physical limit), with teardown times of both
 * and the time from a container's death to its replacement Running. Needs root, runc and conmon.
 * `containers [N] [rounds]`: N containers (50), rounds (5).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageStore } from '../src/runtime/images/index.js';
import { silentLogger } from '../src/types/logger.js';
import { buildBusyboxImage } from '../test/support/busybox-image.js';
import { bareRuncLoop } from './_containers-bare.js';
import { sleep, startServer } from './_cluster.js';
import { printTable, writeResult, type BenchRow } from './report.js';

const IMAGE = 'localhost/busybox:bench';
/** A pause before each measured phase: the kernel tears down the last one's cgroups and mounts after it returns. */
const SETTLE_MS = 2000;

async function clusterRun(count: number, parallel: number): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-bench-ctr-'));
  try {
    const built = await buildBusyboxImage(join(dir, 'build'), 'bench');
    const images = createImageStore({ root: join(dir, 'data', 'images'), logger: silentLogger });
    await images.importArchive(built.archive, { name: 'localhost/busybox' });
    const server = await startServer(['--runtime', 'oci', '--node-name', 'bench', '--concurrency', String(parallel)], join(dir, 'data'));
    const c = server.client;
    const runcRoot = join(dir, 'data', 'runtime', 'oci', 'nodes', 'bench', 'runc');
    const running = async () => (await c.listInstances({ workload: 'bench' })).items.filter((i) => i.status === 'Running');

    // Progress is read from `cluster info` (counts the control plane keeps as it goes): listing the
    // instances every 25 ms would itself cost the control plane a tenth of the CPU it is measured on.
    const runningCount = async () => ((await c.clusterInfo()) as { instances: { byStatus: Record<string, number> } }).instances.byStatus.Running ?? 0;
    const t0 = Date.now();
    await c.createWorkload({ name: 'bench', replicas: count, terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: IMAGE, command: ['/bin/busybox', 'sleep', '3600'], network: 'none' }] });
    while ((await runningCount()) < count) await sleep(25);
    const startMs = Date.now() - t0;

    // Death to replacement Running, three times; the first restart of a container has no backoff.
    const replaceMs: number[] = [];
    for (const inst of (await running()).slice(0, 3)) {
      const pid = inst.containers[0].pid!;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      for (;;) {
        const i = await c.getInstance(inst.name);
        if (i.status === 'Running' && i.containers[0].state === 'Running' && i.containers[0].pid !== pid) break;
        await sleep(10);
      }
      replaceMs.push(Date.now() - killedAt);
    }

    const t1 = Date.now();
    await c.deleteWorkload('bench');
    // An instance's record goes once its agent has removed its containers: wait for the records,
    // then check with runc itself that nothing is left (each `runc list` costs CPU the teardown needs).
    const instancesLeft = async () => ((await c.clusterInfo()) as { instances: { total: number } }).instances.total;
    while ((await instancesLeft()) > 0) await sleep(25);
    for (;;) {
      // `runc list` can trip over a container removed while it reads: that is only "not yet".
      let left: unknown[] = [{}];
      try {
        left = JSON.parse(execFileSync('runc', ['--root', runcRoot, 'list', '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || '[]') ?? [];
      } catch {
        /* look again */
      }
      if (left.length === 0) break;
      await sleep(25);
    }
    const teardownMs = Date.now() - t1;
    await server.stop();
    return { what: `cluster (${parallel} at a time)`, count, startMs, teardownMs, replaceMedianMs: replaceMs.sort((a, b) => a - b)[1], replaceMaxMs: Math.max(...replaceMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/**
 * Rounds, each a bare loop, a bare loop under conmon and the cluster one after the other, so that
 * each ratio compares runs seconds apart: on a shared machine the speed of runc itself drifts by a
 * quarter from one minute to the next. Figures are the medians over the rounds; the ratio is the
 * median of the rounds' own ratios.
 */
export async function run(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 50);
  const rounds = Number(args[1] ?? 5);
  const work = mkdtempSync(join(tmpdir(), 'orch-bench-bare-'));
  let bare1!: BenchRow;
  const perRound: Array<{ bare: BenchRow; conmon: BenchRow; cluster: BenchRow }> = [];
  const bareRow = async (what: string, parallel: number, monitor: 'none' | 'conmon', dir: string): Promise<BenchRow> => {
    const r = await bareRuncLoop({ count, parallel, monitor, workDir: join(work, dir) });
    return { what, count, startMs: r.startMs, teardownMs: r.teardownMs, replaceMedianMs: null, replaceMaxMs: null };
  };
  try {
    bare1 = await bareRow('bare runc loop (1 at a time)', 1, 'none', 'one');
    for (let round = 0; round < rounds; round++) {
      const phases = {
        bare: () => bareRow('bare runc loop (2 at a time)', 2, 'none', `bare-${round}`),
        conmon: () => bareRow('bare runc + conmon loop (2 at a time)', 2, 'conmon', `conmon-${round}`),
        cluster: () => clusterRun(count, 2),
      };
      // Each round takes the three in a different order, and each starts after the kernel has
      // finished tearing down the one before (cgroups, mounts): neither gets the quieter slot every time.
      const order = (['bare', 'conmon', 'cluster'] as const).map((_, i, all) => all[(i + round) % all.length]);
      const got: Partial<Record<keyof typeof phases, BenchRow>> = {};
      for (const phase of order) {
        await sleep(SETTLE_MS);
        got[phase] = await phases[phase]();
      }
      const { bare, conmon, cluster } = got as Record<keyof typeof phases, BenchRow>;
      perRound.push({ bare, conmon, cluster });
      process.stdout.write(`round ${round + 1}/${rounds}: bare ${Math.round(Number(bare.startMs))} ms, bare+conmon ${Math.round(Number(conmon.startMs))} ms, cluster ${cluster.startMs} ms (${(Number(cluster.startMs) / Number(bare.startMs)).toFixed(2)}x)\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const summary = (key: 'bare' | 'conmon' | 'cluster'): BenchRow => {
    const rows = perRound.map((r) => r[key]);
    const col = (c: string) => median(rows.map((r) => Number(r[c])));
    return {
      what: String(rows[0].what),
      count,
      startMs: col('startMs'),
      teardownMs: col('teardownMs'),
      replaceMedianMs: key === 'cluster' ? col('replaceMedianMs') : null,
      replaceMaxMs: key === 'cluster' ? Math.max(...rows.map((r) => Number(r.replaceMaxMs))) : null,
      ratioToBare2: median(perRound.map((r) => Number(r[key].startMs) / Number(r.bare.startMs))),
    };
  };
  const bareMedian = median(perRound.map((r) => Number(r.bare.startMs)));
  const rows = [{ ...bare1, ratioToBare2: Number(bare1.startMs) / bareMedian }, summary('bare'), summary('conmon'), summary('cluster')];
  printTable(`${count} busybox containers: submission to all Running, and teardown (medians of ${rounds} rounds)`, rows);
  writeResult('containers', { count, rounds, rows, perRound: perRound.map((r) => ({ bareStartMs: r.bare.startMs, conmonStartMs: r.conmon.startMs, clusterStartMs: r.cluster.startMs, ratio: Number(r.cluster.startMs) / Number(r.bare.startMs), bareTeardownMs: r.bare.teardownMs, clusterTeardownMs: r.cluster.teardownMs, replaceMedianMs: r.cluster.replaceMedianMs })) });
}

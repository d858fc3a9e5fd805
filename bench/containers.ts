/**
 * `npm run bench -- containers [N]`: N busybox replicas through the whole single-machine cluster
 * on runc, from submission to all Running, next to a bare loop of `runc create` + `runc start` for
 * the same N containers measured in the same run (the physical limit), with teardown times of both
 * and the time from a container's death to its replacement Running. Needs root, runc and conmon.
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

export async function run(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 50);
  const rows: BenchRow[] = [];
  const work = mkdtempSync(join(tmpdir(), 'orch-bench-bare-'));
  try {
    for (const parallel of [1, 2]) {
      const bare = await bareRuncLoop({ count, parallel, workDir: join(work, String(parallel)) });
      rows.push({ what: `bare runc loop (${parallel} at a time)`, count, startMs: bare.startMs, teardownMs: bare.teardownMs, replaceMedianMs: null, replaceMaxMs: null });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const parallel of [2]) rows.push(await clusterRun(count, parallel));
  const bare2 = rows.find((r) => r.what === 'bare runc loop (2 at a time)')!;
  for (const r of rows) r.ratioToBare2 = Number(r.startMs) / Number(bare2.startMs);
  printTable(`${count} busybox containers: submission to all Running, and teardown`, rows);
  writeResult('containers', { count, rows });
}

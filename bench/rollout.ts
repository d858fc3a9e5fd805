/**
 * `npm run bench -- rollout [--replicas N] [--runs R]`
 *
 * On the real control plane (orchestrator-api from dist/, SQLite store, process runtime, its own
 * agent), per run:
 * 1. create: a fresh workload of N replicas (default 20), each with an exec readiness probe; time
 *    from the create call until all N are ready.
 * 2. roll: change the template (an env var) of those N so they roll to a new revision with maxSurge
 *    25% and maxUnavailable 0, readiness gated; time until all N run the new revision and are ready
 *    and no old copy is left.
 * 3. roll 25%/25%: the same with maxUnavailable 25% (Kubernetes' default strategy).
 * Times are wall-clock from the API's point of view, polled every 25 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/api/client.js';
import { printTable, writeResult, type BenchRow } from './report.js';

const API_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin', 'orchestrator-api.js');

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

async function startApi(dataDir: string): Promise<{ proc: ChildProcess; client: ApiClient }> {
  const proc = spawn(process.execPath, [API_BIN, '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--runtime', 'process', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (c: string) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`orchestrator-api exited with ${code}:\n${stderr}`)));
  });
  return { proc, client: new ApiClient({ server: url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() }) };
}

function spec(name: string, replicas: number, version: string, maxUnavailable: string | number) {
  return {
    name,
    replicas,
    strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable },
    containers: [{ name: 'main', image: 'busybox', env: { VERSION: version }, command: ['/bin/sleep', '100000'], readinessProbe: { exec: { command: ['/bin/true'] }, periodSeconds: 1 } }],
  };
}

/** Polls until every live instance of `name` is ready on `revision` and there are exactly `replicas`. */
async function settled(client: ApiClient, name: string, replicas: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const w = await client.getWorkload(name);
    const { items } = await client.listInstances({ workload: name });
    const ok = items.length === replicas && items.every((i) => !i.deletionRequestedAt && i.ready && i.status === 'Running' && i.revision === w.templateRevision);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not settle within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

export async function run(args: string[]): Promise<void> {
  const replicas = arg(args, 'replicas', 20);
  const runs = arg(args, 'runs', 1);
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-bench-rollout-'));
  const { proc, client } = await startApi(dataDir);
  const rows: BenchRow[] = [];
  try {
    for (let r = 1; r <= runs; r++) {
      const name = `roll-${r}`;
      const create = await timed(async () => {
        await client.createWorkload(spec(name, replicas, 'v1', 0));
        await settled(client, name, replicas);
      });
      rows.push({ run: r, step: `create ${replicas} fresh`, strategy: '-', seconds: create });
      const roll = await timed(async () => {
        await client.updateWorkload(name, spec(name, replicas, 'v2', 0));
        await settled(client, name, replicas);
      });
      rows.push({ run: r, step: `roll ${replicas} to a new revision`, strategy: 'surge 25%, unavailable 0', seconds: roll });
      const roll2 = await timed(async () => {
        await client.updateWorkload(name, spec(name, replicas, 'v3', '25%'));
        await settled(client, name, replicas);
      });
      rows.push({ run: r, step: `roll ${replicas} to a new revision`, strategy: 'surge 25%, unavailable 25%', seconds: roll2 });
      await client.deleteWorkload(name);
      for (let k = 0; k < 600 && (await client.listInstances()).items.length > 0; k++) await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(`rollout: ${replicas} replicas, readiness-gated (exec probe, period 1 s), process runtime, SQLite store`, rows);
  writeResult('rollout', { replicas, runs, rows });
}

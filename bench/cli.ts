/**
 * `npm run bench -- cli [runs]`: wall time of `orchestrator-cli workload list` as a whole process
 * against a running server with 20 workloads, next to `node -e 0` (the floor any Node.js CLI pays)
 * measured the same way in the same run. kubectl answers in about 0.1 s; the aim is under 0.3 s.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, startServer } from './_cluster.js';
import { percentile, printTable, writeResult } from './report.js';

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function run(args: string[]): Promise<void> {
  const runs = Number(args[0] ?? 20);
  const server = await startServer();
  for (let k = 0; k < 20; k++) await server.client.createWorkload({ name: `w-${k}`, replicas: 0, containers: [{ name: 'main', image: 'busybox' }] });
  const env = { ...process.env, ORCHESTRATOR_SERVER: server.url, ORCHESTRATOR_TOKEN: server.token };
  const cli = join(DIST, 'src', 'bin', 'orchestrator-cli.js');
  time(process.execPath, [cli, 'workload', 'list'], env); // warm the page cache
  const list: number[] = [];
  const bare: number[] = [];
  for (let k = 0; k < runs; k++) {
    bare.push(time(process.execPath, ['-e', '0'], env));
    list.push(time(process.execPath, [cli, 'workload', 'list'], env));
  }
  await server.stop();
  list.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  const rows = [
    { command: 'orchestrator-cli workload list', runs, medianMs: percentile(list, 50), p90Ms: percentile(list, 90), minMs: list[0] },
    { command: 'node -e 0 (floor)', runs, medianMs: percentile(bare, 50), p90Ms: percentile(bare, 90), minMs: bare[0] },
  ];
  printTable('CLI wall time, whole process', rows);
  process.stdout.write(`overhead over a bare node start: ${(percentile(list, 50) - percentile(bare, 50)).toFixed(0)} ms at the median\n`);
  writeResult('cli', { rows, overheadMs: percentile(list, 50) - percentile(bare, 50) });
}

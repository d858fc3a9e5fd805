/**
 * Helpers for benchmarks that drive the real binaries: start a control plane as its own process
 * (so its memory is its own), read its peak RSS, run requests with bounded concurrency.
 *
 * For profiling the control plane: BENCH_NODE_ARGS adds node flags (`--cpu-prof`, `--trace-gc`,
 * `--heapsnapshot-signal=SIGUSR2`), BENCH_SERVER_STDOUT names a file for its stdout (where
 * `--trace-gc` writes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/api/client.js';

export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  token: string;
  pid: number;
  proc: ChildProcess;
  client: ApiClient;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startServer(args: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'orch-bench-'))): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), join(DIST, 'src', 'bin', 'orchestrator-api.js'), '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--runtime', 'none', '--log-level', 'warn', ...args], { stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? openSync(process.env.BENCH_SERVER_STDOUT, 'w') : 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  return {
    url,
    token,
    pid: proc.pid!,
    proc,
    dataDir,
    client: new ApiClient({ server: url, token, timeoutMs: 120_000 }),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Peak resident memory of a process, in MB (VmHWM). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        await fn(items[k], k);
      }
    }),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

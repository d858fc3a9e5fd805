import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/api/client.js';

/**
 * Runs the real binaries (built into dist/ by `npm test`'s pretest) in temp dirs on free loopback
 * ports, and cleans up after them: the integration and end-to-end tests' harness.
 */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = {
  api: join(ROOT, 'dist', 'src', 'bin', 'orchestrator-api.js'),
  agent: join(ROOT, 'dist', 'src', 'bin', 'orchestrator-agent.js'),
  cli: join(ROOT, 'dist', 'src', 'bin', 'orchestrator-cli.js'),
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiProcess {
  url: string;
  token: string;
  dataDir: string;
  proc: ChildProcess;
  client: ApiClient;
  /** Everything the server wrote to stderr (its logs), for failure messages. */
  logs(): string;
  cli(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<CliResult>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function tempDir(prefix = 'orch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts orchestrator-api and resolves once it listens. `port` 0 picks a free one. */
export async function startApi(options: { dataDir?: string; runtime?: string; port?: number; host?: string; netns?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ApiProcess> {
  const dataDir = options.dataDir ?? tempDir();
  const args = [BIN.api, '--listen', `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`, '--data-dir', dataDir, '--runtime', options.runtime ?? 'process', '--log-level', 'warn', ...(options.args ?? [])];
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]] : [process.execPath, args];
  const proc = spawn(cmd, argv, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`orchestrator-api did not start within 30s:\n${stderr}`)), 30_000);
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`orchestrator-api exited with ${code} before listening:\n${stderr}`));
    });
  });
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const client = new ApiClient({ server: url, token });
  return {
    url,
    token,
    dataDir,
    proc,
    client,
    logs: () => stderr,
    cli: (args, o = {}) => runCli(['--server', url, '--token', token, ...args], o),
    kill: (signal = 'SIGTERM') => stopProcess(proc, signal),
  };
}

export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN.cli, ...args], { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    proc.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    proc.stdin.end(options.input ?? '');
  });
}

/** Sends `signal` and waits for the process to exit (SIGKILL after 10 s). */
export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(signal);
  });
}

/** Polls `check` until it returns a truthy value, or fails with the last value after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Host processes whose command line is exactly `argv`. */
export function processesWithArgs(argv: string[]): number[] {
  const want = argv.join('\0');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0$/, '');
      if (cmd === want) {
        const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
        if (state !== 'Z') pids.push(Number(entry));
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return pids.sort((a, b) => a - b);
}

/**
 * Removes a test's directory. A container's supervisor that just saw its process killed may still be
 * writing its exit file there, after the removal listed that directory: the whole removal is tried
 * again (rmSync's own retries only repeat the last rmdir, which fails the same way).
 */
export function removeDir(dir: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      return rmSync(dir, { recursive: true, force: true, maxRetries: 2, retryDelay: 50 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 10) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * attempt);
    }
  }
}

export interface AgentProcess {
  name: string;
  proc: ChildProcess;
  dataDir: string;
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts orchestrator-agent as its own process and resolves once it has registered its node. */
export async function startAgent(options: { server: string; token: string; name: string; runtime?: string; join?: string; dataDir?: string; capacity?: string; args?: string[]; netns?: string; env?: NodeJS.ProcessEnv }): Promise<AgentProcess> {
  const dataDir = options.dataDir ?? tempDir('orch-agent-');
  const args = [BIN.agent, '--server', options.server, '--token', options.token, '--name', options.name, '--runtime', options.runtime ?? 'process', '--data-dir', dataDir, '--log-level', 'warn', '--heartbeat-ms', '1000'];
  if (options.join) args.push('--join', options.join);
  if (options.capacity) args.push('--capacity', options.capacity);
  args.push(...(options.args ?? []));
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]] : [process.execPath, args];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  proc.stdout!.resume();
  proc.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent ${options.name} did not start within 30s:\n${stderr}`)), 30_000);
    proc.stderr!.on('data', (c: string) => {
      stderr += c;
      if (stderr.includes('orchestrator-agent ') && stderr.includes(' serving ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent ${options.name} exited with ${code}:\n${stderr}`));
    });
  });
  return { name: options.name, proc, dataDir, logs: () => stderr, kill: (signal = 'SIGTERM') => stopProcess(proc, signal) };
}

/** The gossip address a control plane started with --gossip-listen prints in its banner. */
export function gossipAddressOf(api: ApiProcess): string {
  const m = /gossip:\s+(\S+)/.exec(api.logs());
  if (!m) throw new Error(`no gossip address in the API's output:\n${api.logs()}`);
  return m[1];
}

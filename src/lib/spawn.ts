import { spawn as nodeSpawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/**
 * Starting short-lived helper processes (runc, conmon) without fork()ing this process.
 *
 * Node's child_process forks the whole process and holds the event loop until the child has
 * exec'd: with a control plane's heap that costs 6-15 ms of CPU per call on a small machine, and
 * the runtime driver makes two calls per container. The optional native addon in native/spawn uses
 * posix_spawn (vfork semantics), well under a millisecond whatever this process's size. Where the
 * addon was not built (no compiler at install) or `ORCH_SPAWN=child_process` is set, the same calls
 * go through child_process. Either way the child gets the fds listed, default signal handling and an
 * empty signal mask; the addon also closes every other fd, where child_process passes on any this
 * process itself inherited without close-on-exec (Node opens its own close-on-exec).
 */

/** A child's fd: /dev/null, or a pipe the child writes and this process reads. */
export type ChildFd = 'ignore' | 'pipe';

export interface SpawnOptions {
  /** The child's fds 0, 1, 2, 3…: what each is. */
  fds: ChildFd[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** In a session of its own (setsid), as child_process's `detached`. */
  detached?: boolean;
}

export interface Exit {
  /** The exit code; null when a signal ended it or it could not be started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not be started (ENOENT, EACCES…). */
  error?: NodeJS.ErrnoException;
}

export interface SpawnedProcess {
  /** 0 when it could not be started (see `exited`). */
  pid: number;
  /** The read ends of the `pipe` fds, by child fd number. */
  pipes: Map<number, Readable>;
  /** Resolves (never rejects) once the child has ended and been reaped. */
  exited: Promise<Exit>;
}

interface Addon {
  supported(): boolean;
  pipe(): [number, number];
  spawn(file: string, argv: string[], envp: string[], cwd: string | null, fds: number[], setsid: boolean, onExit: (code: number, signal: number) => void): number;
}

function loadAddon(): Addon | undefined {
  if (process.env.ORCH_SPAWN === 'child_process') return undefined;
  try {
    const addon = createRequire(import.meta.url)('orchestrator-spawn') as Addon;
    return addon.supported() ? addon : undefined;
  } catch {
    return undefined;
  }
}

const addon = loadAddon();

/** How helper processes are started here: `posix_spawn` (the addon) or `child_process`. */
export const spawnMethod: 'posix_spawn' | 'child_process' = addon ? 'posix_spawn' : 'child_process';

/** Why the addon is not in use when nobody asked for child_process (for a warning), else undefined. */
export const spawnFallbackReason: string | undefined =
  addon || process.env.ORCH_SPAWN === 'child_process' ? undefined : 'native/spawn is not built (npm install builds it where g++, make and python3 are present)';

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** Starts `file` (an absolute path, or a name looked up on PATH by child_process) with `args`. */
export function spawnProcess(file: string, args: string[], options: SpawnOptions): SpawnedProcess {
  // posix_spawn does no PATH lookup; a bare name goes the way that does.
  return addon && file.includes('/') ? spawnWithAddon(addon, file, args, options) : spawnWithChildProcess(file, args, options);
}

function spawnWithAddon(native: Addon, file: string, args: string[], options: SpawnOptions): SpawnedProcess {
  const ours: number[] = [];
  const childFds: number[] = [];
  const readEnds = new Map<number, number>();
  try {
    options.fds.forEach((kind, i) => {
      if (kind === 'ignore') return childFds.push(-1);
      const [r, w] = native.pipe();
      ours.push(r, w);
      readEnds.set(i, r);
      childFds.push(w);
    });
  } catch (err) {
    for (const fd of ours) closeSync(fd);
    return failed(err as NodeJS.ErrnoException);
  }
  const env = Object.entries(options.env ?? process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  let settle!: (exit: Exit) => void;
  const exited = new Promise<Exit>((resolve) => (settle = resolve));
  let pid: number;
  try {
    pid = native.spawn(file, [file, ...args], env, options.cwd ?? null, childFds, options.detached === true, (code, signal) => {
      settle({ code: signal ? null : code, signal: signal ? (signalNames.get(signal) ?? null) : null });
    });
  } catch (err) {
    for (const fd of ours) closeSync(fd);
    return failed(err as NodeJS.ErrnoException);
  }
  // The child holds its ends now; ours must go, or a reader would never see the end of the stream.
  for (const fd of childFds) if (fd >= 0) closeSync(fd);
  const pipes = new Map<number, Readable>();
  for (const [childFd, r] of readEnds) pipes.set(childFd, new Socket({ fd: r, readable: true, writable: false }));
  return { pid, pipes, exited };
}

function failed(error: NodeJS.ErrnoException): SpawnedProcess {
  return { pid: 0, pipes: new Map(), exited: Promise.resolve({ code: null, signal: null, error }) };
}

function spawnWithChildProcess(file: string, args: string[], options: SpawnOptions): SpawnedProcess {
  const child = nodeSpawn(file, args, { stdio: options.fds, env: options.env, cwd: options.cwd, detached: options.detached });
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const pipes = new Map<number, Readable>();
  options.fds.forEach((kind, i) => {
    if (kind === 'pipe') pipes.set(i, child.stdio[i] as Readable);
  });
  return { pid: child.pid ?? 0, pipes, exited };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ended with SIGTERM after this long (default: no limit). */
  timeoutMs?: number;
  /** Ended when stdout or stderr grows past this many bytes (default 16 MiB). */
  maxBuffer?: number;
}

export interface RunError extends Error {
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end and gives its output, as child_process.execFile: rejects when it
 * cannot start, exits non-zero, is ended by a signal, runs past `timeoutMs` or writes past `maxBuffer`.
 */
export async function runProcess(file: string, args: string[], options: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const child = spawnProcess(file, args, { fds: ['ignore', 'pipe', 'pipe'], env: options.env, cwd: options.cwd });
  const maxBuffer = options.maxBuffer ?? 16 * 1024 * 1024;
  let overflow = false;
  let timedOut = false;
  const end = () => {
    if (child.pid > 0) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  };
  const collect = async (stream: Readable | undefined): Promise<string> => {
    if (!stream) return '';
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        size += (chunk as Buffer).length;
        if (size > maxBuffer) {
          overflow = true;
          end();
          break;
        }
        chunks.push(chunk as Buffer);
      }
    } finally {
      stream.destroy();
    }
    return Buffer.concat(chunks).toString('utf8');
  };
  const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), end()), options.timeoutMs) : undefined;
  try {
    const [stdout, stderr, exit] = await Promise.all([collect(child.pipes.get(1)), collect(child.pipes.get(2)), child.exited]);
    if (!exit.error && exit.code === 0 && !overflow) return { stdout, stderr };
    const why = exit.error?.message ?? (overflow ? 'output over maxBuffer' : timedOut ? `timed out after ${options.timeoutMs} ms` : exit.signal ? `ended by ${exit.signal}` : `exited with code ${exit.code}`);
    const err = new Error(`${file} ${args.join(' ')}: ${why}`) as RunError;
    err.code = exit.error?.code ?? exit.code;
    err.signal = exit.signal;
    err.stdout = stdout;
    err.stderr = stderr;
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

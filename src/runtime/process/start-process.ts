import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { OrchestrationError } from '../../types/errors.js';
import { bootId, identify, readProcStat, type ProcessIdentity } from '../../lib/proc-stat.js';
import { signalGroup } from './process-group.js';
import { argvEnvironment } from './supervisor.js';

export interface StartRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  uid?: number;
  gid?: number;
  /** Run under the supervisor script at this path, writing the exit status to `exitFile`. */
  supervisor?: { script: string; exitFile: string };
  /**
   * Called synchronously once the group leader exists, before anything is awaited, so the caller can
   * record it: an agent that crashes while the command is still being started leaves a record of a
   * group it can adopt and stop, never an orphan nobody knows of.
   */
  onLeader?(leader: ProcessIdentity): void;
}

export interface StartedProcess {
  /** Our child: the supervisor, or the command itself when unsupervised. It leads the process group. */
  child: ChildProcess;
  leader: ProcessIdentity;
  /** The container's command (what `pid` in its status shows); the leader itself when unsupervised. */
  main: ProcessIdentity;
  /** How our child ended; registered at spawn, so an exit is never missed however early it comes. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the command detached (its own session and process group, so it outlives the agent and is
 * signalled as a group), output appended to the log file, stdin empty. Resolves once the command runs;
 * rejects with RuntimeError, leaving nothing running, when it cannot be started.
 */
export async function startProcess(req: StartRequest): Promise<StartedProcess> {
  const executable = resolveExecutable(req.argv[0], req.env.PATH, req.cwd);
  const logFd = openSync(req.logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    const [file, args] = req.supervisor ? ['/bin/sh', [req.supervisor.script, req.supervisor.exitFile]] : [executable, req.argv.slice(1)];
    child = spawn(file, args, {
      argv0: req.supervisor ? undefined : req.argv[0],
      cwd: req.cwd,
      env: req.supervisor ? { ...req.env, ...argvEnvironment(req.argv) } : req.env,
      detached: true,
      stdio: ['ignore', logFd, logFd, ...(req.supervisor ? ['pipe' as const] : [])],
      uid: req.uid,
      gid: req.gid,
    });
  } catch (err) {
    throw cannotStart(req.argv[0], err);
  } finally {
    closeSync(logFd); // the child has its own copy
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  // Identify our child before yielding to the event loop: until then it cannot have been reaped.
  const leader = child.pid === undefined ? undefined : identify(child.pid);
  if (!leader) throw cannotStart(req.argv[0], await new Promise<Error>((r) => child.once('error', r)));
  child.on('error', () => {}); // reported through `exited`
  try {
    req.onLeader?.(leader);
  } catch (err) {
    signalGroup(leader.pid, 'SIGKILL');
    throw err;
  }
  if (!req.supervisor) return { child, leader, main: leader, exited };

  const line = await firstLine(child.stdio[3] as Readable);
  const pid = Number(line);
  if (!Number.isInteger(pid) || pid <= 0) {
    signalGroup(leader.pid, 'SIGKILL');
    throw new OrchestrationError('RuntimeError', `the supervisor of "${req.argv[0]}" ended before starting it`);
  }
  // A command that ended at once is gone already: its identity then matches no process.
  const main = identify(pid) ?? { pid, startTime: 'ended', bootId: bootId() };
  await untilExeced(pid, basename(req.argv[0]));
  return { child, leader, main, exited };
}

/** Finds the executable as execvp would (PATH of the container's environment), so a missing one fails create. */
function resolveExecutable(command: string, path: string | undefined, cwd: string): string {
  const candidates = command.includes('/') ? [resolve(cwd, command)] : (path ?? '').split(':').map((dir) => join(dir || '.', command));
  let denied = false;
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  throw new OrchestrationError('RuntimeError', denied ? `"${command}" is not executable` : `executable "${command}" not found${command.includes('/') ? '' : ' on PATH'}`);
}

function cannotStart(command: string, err: unknown): OrchestrationError {
  return new OrchestrationError('RuntimeError', `could not start "${command}": ${(err as Error).message}`, { cause: err });
}

/**
 * Waits (briefly) until the supervisor's fork has become the command, so that create resolves with the
 * command in the process table, as it does unsupervised. The kernel names a process after the file it
 * exec'd (15 bytes at most), which is how the two execs (env, then the command) are told apart.
 * Gives up after 2 s: the command then still runs, only later.
 */
async function untilExeced(pid: number, name: string): Promise<void> {
  const comm = Buffer.from(name).subarray(0, 15).toString();
  const deadline = Date.now() + 2000;
  for (;;) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z' || Date.now() > deadline) return;
    // The name changes early in execve, the argument list a little later.
    if (st.comm === comm && hasCmdline(pid)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

function hasCmdline(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`).length > 0;
  } catch {
    return false;
  }
}

function firstLine(stream: Readable): Promise<string> {
  return new Promise((resolveLine) => {
    let buf = '';
    const done = () => {
      stream.destroy();
      resolveLine(buf.split('\n')[0].trim());
    };
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    });
    stream.once('end', done);
    stream.once('error', done);
  });
}

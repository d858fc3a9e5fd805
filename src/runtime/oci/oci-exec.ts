import { readlinkSync } from 'node:fs';
import { runProcess } from '../../lib/spawn.js';
import type { Logger } from '../../types/logger.js';
import type { ExecOptions, ExecSession } from '../container-runtime.js';
import { readSmallFile } from './container-files.js';
import type { RuncCli } from './runc-cli.js';

/**
 * `runc exec` into a running container, its stdio as pipes (so the process gets exactly fds 0-2,
 * none of the agent's). The exit code is the command's; 126/127 when it could not be run, as a shell
 * would say. Aborting sends SIGTERM, which runc passes on to the command.
 *
 * With `tty`, runc allocates the container's pty itself (`exec -t`) and relays it to its own
 * terminal, which util-linux `script` provides (Node cannot hold a pty or take the master fd runc
 * would otherwise hand over a socket). script runs its command through /bin/sh: that command line is a
 * constant naming only environment variables ("$ORCH_EXEC_ARG0" …), which the shell expands without
 * splitting or evaluating, so no byte of the request is ever read as shell code. Output is the
 * terminal's (stdout and stderr merged, as a terminal has them).
 *
 * Resizing sets the size of that terminal (`stty -F` on script's pty, which runc holds as its own):
 * the kernel signals runc (SIGWINCH), and runc gives the container's pty the same size, as it does
 * for a person at a real terminal.
 */
export function startExec(runc: RuncCli, id: string, command: string[], options: ExecOptions, log?: Logger): ExecSession {
  const child = options.tty ? runc.execTty(id, command, options.env ?? {}) : runc.exec(id, command, options.env ?? {});
  let stderrTail = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderrTail = (stderrTail + c.toString('utf8')).slice(-4096);
  });
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const exitCode = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (code === 255 && /exec failed|no such file|executable file not found/i.test(stderrTail)) resolve(/permission denied/i.test(stderrTail) ? 126 : 127);
      else resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
  const session: ExecSession = { stdout: child.stdout!, stderr: child.stderr!, stdin: child.stdin!, exitCode };
  if (options.tty && child.pid) session.resize = terminalResizer(child.pid, exitCode, log);
  return session;
}

const MAX_DIMENSION = 10_000;
/** How long a resize waits for runc to be started under script (it is, within milliseconds). */
const FIND_PTY_TRIES = 40;
const FIND_PTY_EVERY_MS = 50;

/**
 * Sets the terminal's size to the latest one asked for; calls that arrive while one is being set
 * are folded into the next. Out-of-range sizes are ignored, like a terminal ignores them.
 */
function terminalResizer(scriptPid: number, ended: Promise<number>, log?: Logger): (cols: number, rows: number) => void {
  let wanted: { cols: number; rows: number } | undefined;
  let busy = false;
  let done = false;
  void ended.finally(() => (done = true)).catch(() => {});
  const apply = async () => {
    busy = true;
    try {
      for (let tries = 0; wanted && !done; tries++) {
        const pty = ptyOf(scriptPid);
        if (!pty) {
          if (tries >= FIND_PTY_TRIES) break;
          await new Promise((r) => setTimeout(r, FIND_PTY_EVERY_MS));
          continue;
        }
        const { cols, rows } = wanted;
        wanted = undefined;
        await runProcess('stty', ['-F', pty, 'rows', String(rows), 'cols', String(cols)], { timeoutMs: 5000 }).catch((err: Error) => log?.debug({ pty, err: err.message }, 'terminal resize failed'));
      }
    } finally {
      busy = false;
    }
  };
  return (cols, rows) => {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols > MAX_DIMENSION || rows > MAX_DIMENSION) return;
    wanted = { cols, rows };
    if (!busy) void apply();
  };
}

/** The terminal script made for its command: fd 0 of its child (the shell that became runc). */
function ptyOf(scriptPid: number): string | undefined {
  const children = readSmallFile(`/proc/${scriptPid}/task/${scriptPid}/children`)?.trim().split(' ').filter(Boolean) ?? [];
  for (const pid of children) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/0`);
      if (/^\/dev\/pts\/\d+$/.test(target)) return target;
    } catch {
      /* gone, or not ours to read */
    }
  }
  return undefined;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

import type { ExecOptions, ExecSession } from '../container-runtime.js';
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
 * terminal's (stdout and stderr merged, as a terminal has them); there is no resize channel.
 */
export function startExec(runc: RuncCli, id: string, command: string[], options: ExecOptions): ExecSession {
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
  return { stdout: child.stdout!, stderr: child.stderr!, stdin: child.stdin!, exitCode };
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

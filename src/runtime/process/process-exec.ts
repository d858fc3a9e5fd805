import { spawn } from 'node:child_process';
import { exitCodeOf } from './container-record.js';
import { OrchestrationError } from '../../types/errors.js';
import type { ExecOptions, ExecSession } from '../container-runtime.js';

/**
 * Runs `command` as a host process (no shell) in the container's directory and environment, plus
 * `options.env`. Resolves once the process has started; its end is `exitCode`. Aborting the signal
 * kills it. A TTY is not available on this runtime; `tty` is ignored.
 */
export async function execProcess(command: string[], cwd: string, env: Record<string, string>, options: ExecOptions): Promise<ExecSession> {
  if (command.length === 0) throw new OrchestrationError('InvalidInput', 'exec needs a command');
  const child = spawn(command[0], command.slice(1), { cwd, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new OrchestrationError('RuntimeError', `exec of "${command[0]}" failed: ${err.message}`, { cause: err })));
  });
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const exitCode = new Promise<number>((resolve) => {
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve(exitCodeOf(code, signal));
    });
  });
  return { stdout: child.stdout!, stderr: child.stderr!, stdin: child.stdin!, exitCode };
}

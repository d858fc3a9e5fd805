import { spawn, type ChildProcess } from 'node:child_process';
import { runProcess, type RunError } from '../../lib/spawn.js';

/**
 * The OCI runtime's command line (runc; youki and crun take the same): every call is an argv, never a
 * shell string, with `--root` naming the node's state dir.
 */
export class RuncCli {
  constructor(readonly binary: string, readonly root: string) {}

  async run(args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    try {
      return await runProcess(this.binary, ['--root', this.root, ...args], { timeoutMs });
    } catch (err) {
      const { stderr = '', message } = err as RunError;
      throw Object.assign(new Error(`${this.binary} ${args[0]}: ${stderr.trim() || message}`), { stderr });
    }
  }

  start(id: string) {
    return this.run(['start', id]);
  }

  kill(id: string, signal: 'TERM' | 'KILL') {
    return this.run(['kill', id, signal]);
  }

  delete(id: string) {
    return this.run(['delete', '--force', id]);
  }

  async list(): Promise<Array<{ id: string; pid: number; status: string }>> {
    const { stdout } = await this.run(['list', '--format', 'json']);
    return (JSON.parse(stdout || 'null') as Array<{ id: string; pid: number; status: string }> | null) ?? [];
  }

  /** `runc exec` with pipes for stdio; the process sees only those three fds. */
  exec(id: string, argv: string[], env: Record<string, string>): ChildProcess {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return spawn(this.binary, ['--root', this.root, 'exec', ...envArgs, id, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** `runc exec -t` under util-linux `script` (see oci-exec); data travels only in environment values. */
  execTty(id: string, argv: string[], env: Record<string, string>): ChildProcess {
    const vars: Record<string, string> = { ORCH_EXEC_RUNTIME: this.binary, ORCH_EXEC_ROOT: this.root, ORCH_EXEC_ID: id };
    const envRefs = Object.entries(env).map(([k, v], i) => {
      vars[`ORCH_EXEC_ENV${i}`] = `${k}=${v}`;
      return `--env "$ORCH_EXEC_ENV${i}"`;
    });
    const argRefs = argv.map((a, i) => {
      vars[`ORCH_EXEC_ARG${i}`] = a;
      return `"$ORCH_EXEC_ARG${i}"`;
    });
    const line = ['exec "$ORCH_EXEC_RUNTIME" --root "$ORCH_EXEC_ROOT" exec -t', ...envRefs, '"$ORCH_EXEC_ID"', ...argRefs].join(' ');
    return spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', SHELL: '/bin/sh', TERM: 'xterm', ...vars },
    });
  }
}

import { execFile, spawn, type ChildProcess } from 'node:child_process';

/**
 * The OCI runtime's command line (runc; youki and crun take the same): every call is an argv, never a
 * shell string, with `--root` naming the node's state dir.
 */
export class RuncCli {
  constructor(readonly binary: string, readonly root: string) {}

  run(args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(this.binary, ['--root', this.root, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(Object.assign(new Error(`${this.binary} ${args[0]}: ${stderr.trim() || err.message}`), { stderr }));
        else resolve({ stdout, stderr });
      });
    });
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
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ElectorLine {
  event: 'started' | 'leader' | 'follower' | 'wrote' | 'refused' | 'error';
  leader?: { id: string };
  revision?: number;
  at: number;
}

/**
 * A leader elector in a child process (bench/_elector-child), for killing a leader with SIGKILL.
 * From compiled code it runs the compiled child; from sources (vitest) it runs the .ts child
 * through test/etcd/ts-loader.mjs.
 */
export class ElectorProcess {
  readonly lines: ElectorLine[] = [];
  private readonly waiters: Array<{ match: (l: ElectorLine) => boolean; resolve: (l: ElectorLine) => void }> = [];
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (text) => {
      let line: ElectorLine;
      try {
        line = JSON.parse(text) as ElectorLine;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.match(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  static spawn(etcdUrl: string, id: string, ttlSeconds: number): ElectorProcess {
    const here = dirname(fileURLToPath(import.meta.url));
    const compiled = join(here, '_elector-child.js');
    const args = existsSync(compiled)
      ? [compiled]
      : ['--import', join(here, '..', 'test', 'etcd', 'ts-loader.mjs'), join(here, '_elector-child.ts')];
    const proc = spawn(process.execPath, [...args, etcdUrl, id, String(ttlSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new ElectorProcess(proc);
  }

  /** The first line (already printed or still to come) that matches. Rejects if the process exits first. */
  waitFor(match: (l: ElectorLine) => boolean, timeoutMs = 30_000): Promise<ElectorLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`elector child: no matching line in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      const done = (l: ElectorLine) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ match, resolve: done });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`elector child exited; stderr: ${this.stderr}`));
      });
    });
  }

  /** SIGKILL: the process gets no chance to resign; its lease must expire. */
  async kill9(): Promise<number> {
    const at = Date.now();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    return at;
  }

  /** SIGSTOP / SIGCONT: a leader frozen mid-term, as by a long GC pause or a stalled VM. */
  pause(): void {
    this.proc.kill('SIGSTOP');
  }

  resume(): void {
    this.proc.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

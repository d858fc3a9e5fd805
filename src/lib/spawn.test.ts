import { createRequire } from 'node:module';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemSkip } from '../../test/support/system.js';

/**
 * Both ways of starting a helper process must behave alike: the posix_spawn addon (where it was
 * built) and child_process (the fallback). Each suite loads the module afresh with its method chosen.
 */
function addonBuilt(): boolean {
  try {
    return (createRequire(import.meta.url)('orchestrator-spawn') as { supported(): boolean }).supported();
  } catch {
    return false;
  }
}

const skipAddon = systemSkip('spawn through the posix_spawn addon', [{ check: addonBuilt, what: 'the native/spawn addon built (npm install runs node-gyp: needs g++, make, python3)' }]);

async function load(method: 'posix_spawn' | 'child_process') {
  vi.resetModules();
  vi.stubEnv('ORCH_SPAWN', method === 'child_process' ? 'child_process' : '');
  const mod = await import('./spawn.js');
  vi.unstubAllEnvs();
  expect(mod.spawnMethod).toBe(method);
  return mod;
}

/** The fds of a process once two looks 20 ms apart agree and none is a library being loaded. */
async function settledFds(pid: number): Promise<string[]> {
  const look = () => readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).sort();
  for (let last = look(); ; ) {
    await new Promise((r) => setTimeout(r, 20));
    const now = look();
    if (now.join() === last.join() && !now.some((l) => /\.so(\.|$)/.test(l))) return now.map((l) => l.split(' ')[0]);
    last = now;
  }
}

/** This process's fds above 3 without close-on-exec: what it was handed by its own parent. */
function inheritedFds(): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    if (Number(fd) <= 3) return false;
    let info = '';
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      return false; // the fd that listed the directory, closed since
    }
    const flags = /^flags:\s*(\d+)/m.exec(info);
    return flags !== null && (Number.parseInt(flags[1], 8) & 0o2000000) === 0;
  });
}

/** A line of /proc/<pid>/status, e.g. SigIgn. */
function statusField(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
}

for (const method of ['posix_spawn', 'child_process'] as const) {
  describe.skipIf(method === 'posix_spawn' && skipAddon)(`spawn (${method})`, () => {
    const started: number[] = [];
    afterEach(() => {
      for (const pid of started.splice(0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already ended */
        }
      }
    });

    it('runs a command with the given argv, environment and directory, and returns its output', async () => {
      const { runProcess } = await load(method);
      const out = await runProcess('/bin/sh', ['-c', 'echo "$1 $FOO"; pwd; echo oops >&2', 'sh', 'a b'], { env: { FOO: 'bar', PATH: '/usr/bin:/bin' }, cwd: '/tmp' });
      expect(out).toEqual({ stdout: 'a b bar\n/tmp\n', stderr: 'oops\n' });
    });

    it('rejects with the exit code and stderr of a failed command', async () => {
      const { runProcess } = await load(method);
      await expect(runProcess('/bin/sh', ['-c', 'echo no such thing >&2; exit 3'])).rejects.toMatchObject({ code: 3, stderr: 'no such thing\n', message: expect.stringContaining('exited with code 3') });
    });

    it('rejects with ENOENT for a missing binary, and names it', async () => {
      const { runProcess } = await load(method);
      await expect(runProcess('/nonexistent/runc', ['list'])).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('/nonexistent/runc') });
    });

    it('ends a command that runs past its timeout', async () => {
      const { runProcess } = await load(method);
      await expect(runProcess('/bin/sleep', ['30'], { timeoutMs: 100 })).rejects.toMatchObject({ signal: 'SIGTERM', message: expect.stringContaining('timed out') });
    });

    it('ends a command that writes past maxBuffer', async () => {
      const { runProcess } = await load(method);
      await expect(runProcess('/bin/sh', ['-c', 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done'], { maxBuffer: 10_000 })).rejects.toMatchObject({ message: expect.stringContaining('maxBuffer') });
    });

    it('gives the child only the fds asked for, default signal handling and an empty mask', async () => {
      const { spawnProcess } = await load(method);
      const child = spawnProcess('/bin/sleep', ['30'], { fds: ['ignore', 'pipe', 'ignore', 'pipe'] });
      started.push(child.pid);
      expect(child.pid).toBeGreaterThan(0);
      // The dynamic loader of the new program opens its libraries for a moment: wait for it to settle.
      const fds = await settledFds(child.pid);
      // child_process passes on what this process inherited without close-on-exec (libuv closes
      // nothing); the addon closes every fd past those asked for.
      const passedOn = method === 'child_process' ? inheritedFds() : [];
      expect(fds).toEqual(['0', '1', '2', '3', ...passedOn].sort());
      // Node ignores SIGPIPE; a container runtime started with it ignored would pass that on.
      // (Signals 32 and up are the C library's own and are left alone.)
      const standard = (pid: number, field: string) => Number(BigInt(`0x${statusField(pid, field)}`) & 0x7fffffffn);
      expect(standard(process.pid, 'SigIgn') & (1 << 12)).not.toBe(0);
      expect(standard(child.pid, 'SigIgn')).toBe(0);
      expect(standard(child.pid, 'SigBlk')).toBe(0);
      process.kill(child.pid, 'SIGKILL');
      await expect(child.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
      // The pipes end with the child.
      for (const pipe of child.pipes.values()) for await (const _ of pipe) expect.unreachable();
    });

    it('starts a detached child in a session of its own', async () => {
      const { spawnProcess } = await load(method);
      const child = spawnProcess('/bin/sleep', ['30'], { fds: ['ignore', 'ignore', 'ignore'], detached: true });
      started.push(child.pid);
      const sessionId = Number(readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')[3]);
      expect(sessionId).toBe(child.pid);
    });

    it('reports the exit of many children, each once', async () => {
      const { spawnProcess } = await load(method);
      const exits = await Promise.all(Array.from({ length: 40 }, (_, i) => spawnProcess('/bin/sh', ['-c', `exit ${i % 7}`], { fds: ['ignore', 'ignore', 'ignore'] }).exited));
      expect(exits.map((e) => e.code)).toEqual(Array.from({ length: 40 }, (_, i) => i % 7));
    });
  });
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootId, identify, isAlive, readProcStat } from './proc-stat.js';

describe('proc-stat', () => {
  it('identifies a running process by PID, start time and boot id', () => {
    const me = identify(process.pid)!;
    expect(me).toMatchObject({ pid: process.pid, bootId: bootId() });
    expect(me.startTime).toMatch(/^\d+$/);
    expect(isAlive(me)).toBe(true);
  });

  it('does not take a process with another start time or from another boot for the identified one', () => {
    const me = identify(process.pid)!;
    expect(isAlive({ ...me, startTime: String(Number(me.startTime) + 1) })).toBe(false);
    expect(isAlive({ ...me, bootId: '00000000-0000-0000-0000-000000000000' })).toBe(false);
  });

  it('reads the stat line of a process whose name has spaces and parentheses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-stat-'));
    try {
      symlinkSync('/bin/sleep', join(dir, 'a) b (c'));
      const child = spawn(join(dir, 'a) b (c'), ['100000'], { stdio: 'ignore' });
      await new Promise((r) => child.once('spawn', r));
      const st = readProcStat(child.pid!)!;
      expect(st).toMatchObject({ comm: 'a) b (c', ppid: process.pid, state: expect.stringMatching(/^[RSD]$/) });
      expect(st.startTime).toBe(identify(child.pid!)!.startTime);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers undefined for a PID nobody has', () => {
    expect(readProcStat(2 ** 22 + 1)).toBeUndefined();
  });
});

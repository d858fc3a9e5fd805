import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTail, rotatedPath, rotateIfOver } from './log-file.js';

describe('log files', () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-file-'));
    log = join(dir, 'output.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i} ${'x'.repeat(100)}\n`).join('');

  it('takes the last lines of a log much longer than one read chunk', async () => {
    const text = lines(0, 5000); // about 530 kB
    writeFileSync(log, text);
    const size = Buffer.byteLength(text);
    expect((await readTail(log, size, 2)).toString()).toBe(lines(4998, 5000));
    expect((await readTail(log, size, undefined)).toString()).toBe(text);
    expect((await readTail(log, size, 0)).length).toBe(0);
  });

  it('reads only up to the size it is given, so a tail and a follow that starts there do not overlap', async () => {
    writeFileSync(log, 'one\ntwo\nthree\n');
    expect((await readTail(log, 8, 5)).toString()).toBe('one\ntwo\n');
  });

  it('rotates a log over its limit into one kept file, and tails across the two', async () => {
    writeFileSync(log, lines(0, 10));
    expect(rotateIfOver(log, 10_000)).toBe(false);
    expect(rotateIfOver(log, 500)).toBe(true);
    writeFileSync(log, lines(10, 12));
    const size = Buffer.byteLength(lines(10, 12));
    expect((await readTail(log, size, 4)).toString()).toBe(lines(8, 12));
    expect((await readTail(log, size, undefined)).toString()).toBe(lines(0, 12));
    expect(rotatedPath(log)).toBe(`${log}.1`);
  });
});

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeK8sLines, readLog } from './container-logs.js';

const line = (stream: string, tag: 'F' | 'P', text: string) => `2026-01-01T00:00:00.000000000+00:00 ${stream} ${tag} ${text}\n`;

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('container logs in k8s-file format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('joins partial lines and keeps text with spaces', () => {
    expect(decodeK8sLines([line('stdout', 'P', 'long ').slice(0, -1), line('stdout', 'F', 'line here').slice(0, -1), line('stderr', 'F', '').slice(0, -1)])).toBe('long line here\n\n');
  });

  it('tails the last lines of a log larger than one read, counting a split line once', async () => {
    const file = join(dir, 'big.log');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => line('stdout', 'F', `line ${i}`)).join('') + line('stdout', 'P', 'split ') + line('stdout', 'F', 'end'));
    expect(await readAll(await readLog(file, { tail: 2, exited: async () => true, watchDirs: [] }))).toBe('line 4999\nsplit end\n');
  });

  it('follows new lines, starts over when the log was truncated at its cap, and ends once the container is done', async () => {
    const file = join(dir, 'follow.log');
    writeFileSync(file, line('stdout', 'F', 'one'));
    let done = false;
    const stream = await readLog(file, { follow: true, exited: async () => done, watchDirs: [dir] });
    const seen: string[] = [];
    const finished = (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.toString());
        if (seen.join('') === 'one\n') {
          appendFileSync(file, line('stdout', 'F', 'two'));
        } else if (seen.join('') === 'one\ntwo\n') {
          writeFileSync(file, line('stdout', 'F', '3'));
          done = true;
        }
      }
    })();
    await finished;
    expect(seen.join('')).toBe('one\ntwo\n3\n');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemSkip } from '../../../test/support/system.js';
import { httpCheck } from './http-check.js';
import { netnsCheck, type CheckProgram } from './netns-check.js';

const skip = systemSkip('probes inside a network namespace', ['root', { bin: 'nsenter' }, { bin: 'unshare' }, { bin: 'ip' }]);

/** The check program from the TypeScript sources (dist/ has it as plain JavaScript); slow to start, hence long timeouts. */
const program: CheckProgram = {
  nodeArgs: ['--import', fileURLToPath(new URL('../../../test/etcd/ts-loader.mjs', import.meta.url))],
  script: fileURLToPath(new URL('./netns-probe-main.ts', import.meta.url)),
};

describe.skipIf(skip)('http and tcp checks inside a network namespace', () => {
  let server: ChildProcess;
  const port = 20_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    // A process in a new network namespace of its own (loopback up) serving HTTP on 127.0.0.1:port.
    const code = `require('http').createServer((q, s) => q.url !== '/hang' && s.writeHead(q.url === '/ok' ? 200 : 503).end()).listen(${port}, '127.0.0.1', () => console.log('up'))`;
    server = spawn('unshare', ['--net', '--', '/bin/sh', '-c', `ip link set lo up && exec "${process.execPath}" -e "${code}"`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once('data', () => resolve());
      server.once('exit', (c) => reject(new Error(`namespace server exited with ${c}`)));
    });
  });
  afterAll(() => {
    server?.kill('SIGKILL');
  });

  const signal = () => new AbortController().signal;

  it('reaches the namespace\'s 127.0.0.1, which the host\'s loopback does not', async () => {
    expect(await netnsCheck(server.pid!, { kind: 'http', scheme: 'HTTP', host: '127.0.0.1', port, path: '/ok' }, 15_000, signal(), program)).toEqual({ ok: true, output: '' });
    expect(await netnsCheck(server.pid!, { kind: 'http', scheme: 'HTTP', host: '127.0.0.1', port, path: '/down' }, 15_000, signal(), program)).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 503' });
    expect((await netnsCheck(server.pid!, { kind: 'tcp', host: '127.0.0.1', port }, 15_000, signal(), program)).ok).toBe(true);
    expect((await netnsCheck(server.pid!, { kind: 'tcp', host: '127.0.0.1', port: port + 1 }, 15_000, signal(), program)).output).toMatch(/ECONNREFUSED/);
    expect((await httpCheck({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/ok' }, signal())).ok).toBe(false);
  });

  it('fails for a process that does not exist, and times out inside the namespace after timeoutMs', async () => {
    const gone = await netnsCheck(2 ** 22 + 7, { kind: 'tcp', host: '127.0.0.1', port }, 15_000, signal(), program);
    expect(gone.ok).toBe(false);
    const hung = await netnsCheck(server.pid!, { kind: 'http', scheme: 'HTTP', host: '127.0.0.1', port, path: '/hang' }, 1000, signal(), program);
    expect(hung.ok).toBe(false);
    expect(hung.output).toMatch(/timed out/);
  });
});

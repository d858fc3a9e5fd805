import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ExecSession } from '../runtime/container-runtime.js';
import { isOrchestrationError } from '../types/errors.js';
import { execSessionOver, execStreamQuery, OUTPUT_HIGH_WATER, parseExecStreamQuery, serveExecSession } from './exec-channel.js';

/** A session the test drives by hand: what the command would print, read and return. */
function scriptedSession() {
  let finish!: (code: number) => void;
  let fail!: (err: Error) => void;
  const resizes: Array<[number, number]> = [];
  const [stdin, stdout, stderr] = [new PassThrough(), new PassThrough(), new PassThrough()];
  const session: ExecSession = {
    stdout,
    stderr,
    stdin,
    resize: (cols, rows) => resizes.push([cols, rows]),
    exitCode: new Promise<number>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    }),
  };
  const end = (code: number) => {
    stdout.end();
    stderr.end();
    finish(code);
  };
  return { session, stdin, stdout, stderr, resizes, end, fail };
}

const text = (s: NodeJS.ReadableStream) => new Promise<string>((resolve) => {
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  s.on('end', () => resolve(out));
});

describe('the exec channel', () => {
  let server: WebSocketServer | undefined;
  afterEach(() => server?.close());

  /** Serves `remote` on a loopback WebSocket and returns the client's view of it. */
  async function connect(remote: ExecSession, acceptStdin = true): Promise<ExecSession> {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (socket) => serveExecSession(socket, remote, acceptStdin));
    await new Promise((resolve) => server!.once('listening', resolve));
    const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise((resolve) => socket.once('open', resolve));
    return execSessionOver(socket);
  }

  it('carries input, output on both streams, resizes, and the exit code after all output', async () => {
    const remote = scriptedSession();
    const local = await connect(remote.session);
    const out = text(local.stdout);
    const err = text(local.stderr);
    local.resize!(120, 40);
    local.stdin!.end('typed');
    expect(await text(remote.stdin)).toBe('typed');
    remote.stdout.write('out');
    remote.stderr.write('err');
    remote.end(7);
    expect(await local.exitCode).toBe(7);
    expect([await out, await err]).toEqual(['out', 'err']);
    expect(remote.resizes).toEqual([[120, 40]]);
  });

  it('closes the command\'s input at once when the client sends none', async () => {
    const remote = scriptedSession();
    await connect(remote.session, false);
    expect(await text(remote.stdin)).toBe('');
  });

  it('fails the client\'s exit code, with the reason, when the server cannot finish', async () => {
    const remote = scriptedSession();
    const local = await connect(remote.session);
    remote.fail(new Error('runc went away'));
    await expect(local.exitCode).rejects.toSatisfy((e) => isOrchestrationError(e, 'Unavailable') && e.message.includes('runc went away'));
  });

  it('holds the command\'s output back while the client does not read, and delivers all of it once it does', async () => {
    const remote = scriptedSession();
    const local = await connect(remote.session);
    // Far more than the socket and the kernel buffer between them (a few MiB on loopback).
    const total = 32 * OUTPUT_HIGH_WATER;
    for (let sent = 0; sent < total; sent += 64 * 1024) remote.stdout.write(Buffer.alloc(64 * 1024, sent / (64 * 1024)));
    // Nobody reads on the client: the server stops taking output, and most of it waits at the command.
    await new Promise((r) => setTimeout(r, 300));
    expect(remote.stdout.isPaused()).toBe(true);
    expect(remote.stdout.readableLength + remote.stdout.writableLength).toBeGreaterThan(total / 2);
    const received: Buffer[] = [];
    local.stdout.on('data', (c: Buffer) => received.push(c));
    remote.end(0);
    expect(await local.exitCode).toBe(0);
    const all = Buffer.concat(received);
    expect(all.length).toBe(total);
    // In order: each 64 KiB block carries its own index.
    for (let block = 0; block < total / (64 * 1024); block++) expect(all[block * 64 * 1024]).toBe(block % 256);
  });

  it('round-trips the request in the query string, arguments in order', () => {
    const request = { command: ['sh', '-c', 'echo "a b" & x=1'], container: 'main', tty: true, stdin: false };
    expect(parseExecStreamQuery(execStreamQuery(request))).toEqual(request);
    expect(() => parseExecStreamQuery(new URLSearchParams('tty=true'))).toThrow(/command/);
  });
});

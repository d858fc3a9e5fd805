import { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecSession } from '../runtime/container-runtime.js';
import { OrchestrationError } from '../types/errors.js';
import { exitAfterOutput } from './exec-frames.js';

/**
 * The wire form of an interactive exec (`exec -it`), shared by the API, the agent's server and their
 * clients: a WebSocket whose binary messages start with a channel byte, as Kubernetes'
 * v4.channel.k8s.io does.
 *
 *   0 stdin   client → server; an empty message means the input has ended (EOF)
 *   1 stdout  server → client
 *   2 stderr  server → client (a TTY session has none: a terminal merges both into stdout)
 *   3 exit    server → client, JSON `{"exitCode":N}`, last; the server then closes with 1000
 *   4 resize  client → server, JSON `{"cols":C,"rows":R}`; ignored where the runtime cannot resize
 *
 * A server that cannot go on closes with 1011 and the reason, without an exit message. The request
 * (`?command=a&command=b&container=c&tty=true&stdin=true`) is checked before the upgrade, so a bad
 * token, an unknown instance or a command that cannot start is an ordinary HTTP error.
 */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, exit: 3, resize: 4 } as const;

/**
 * Output queued on the socket, in bytes, past which the command's output is paused until half of
 * it has gone out: a command that prints faster than the client reads waits for it, as it would
 * writing to a pipe, instead of the server holding its output in memory.
 */
export const OUTPUT_HIGH_WATER = 1 << 20;

export interface ExecStreamRequest {
  command: string[];
  container?: string;
  tty: boolean;
  /** The client sends input; without it the command's stdin is closed at once (it reads EOF). */
  stdin: boolean;
}

export function execStreamQuery(r: ExecStreamRequest): URLSearchParams {
  const q = new URLSearchParams(r.command.map((c) => ['command', c]));
  if (r.container) q.set('container', r.container);
  if (r.tty) q.set('tty', 'true');
  if (r.stdin) q.set('stdin', 'true');
  return q;
}

export function parseExecStreamQuery(q: URLSearchParams): ExecStreamRequest {
  const command = q.getAll('command');
  if (command.length === 0) throw OrchestrationError.invalidInput([{ path: 'command', message: 'give the command as one or more command= parameters' }], 'exec request');
  return { command, container: q.get('container') ?? undefined, tty: q.get('tty') === 'true', stdin: q.get('stdin') === 'true' };
}

/**
 * Serves `session` on `socket` until the command ends: its output out, input and resizes in, the exit
 * code last. Stopping the command when the client goes away is the caller's (its abort signal).
 */
export function serveExecSession(socket: WebSocket, session: ExecSession, acceptStdin: boolean): void {
  const outputs = [session.stdout, session.stderr];
  let paused = false;
  const drained = () => {
    if (paused && socket.bufferedAmount < OUTPUT_HIGH_WATER / 2) {
      paused = false;
      for (const s of outputs) s.resume();
    }
  };
  const send = (channel: number, data: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(Buffer.concat([Buffer.of(channel), data]), drained);
    if (!paused && socket.bufferedAmount > OUTPUT_HIGH_WATER) {
      paused = true;
      for (const s of outputs) s.pause();
    }
  };
  session.stdout.on('data', (c: Buffer) => send(CHANNEL.stdout, c));
  session.stderr.on('data', (c: Buffer) => send(CHANNEL.stderr, c));
  // A client gone while output was paused: let the streams flow (into nothing) so the command can end.
  socket.once('close', () => {
    paused = false;
    for (const s of outputs) s.resume();
  });
  // Input that arrives after the command ended fails with EPIPE; it has nobody left to read it.
  session.stdin?.on('error', () => {});
  if (!acceptStdin) session.stdin?.end();
  socket.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    if (data[0] === CHANNEL.stdin && acceptStdin) {
      if (payload.length > 0) session.stdin?.write(payload);
      else session.stdin?.end();
    } else if (data[0] === CHANNEL.resize) {
      const size = parseJson<{ cols?: unknown; rows?: unknown }>(payload);
      if (typeof size?.cols === 'number' && typeof size.rows === 'number') session.resize?.(size.cols, size.rows);
    }
  });
  exitAfterOutput(session).then(
    (exitCode) => {
      send(CHANNEL.exit, Buffer.from(JSON.stringify({ exitCode })));
      socket.close(1000);
    },
    (err: Error) => socket.close(1011, err.message.slice(0, 120)),
  );
}

/**
 * The client's side: a session whose stdin and resizes go over `socket`, and whose output and exit
 * code come from it. `exitCode` rejects (Unavailable) when the socket closes before the exit message.
 * Read both output streams: one left unread fills up and holds the socket, and so the command, as
 * an unread pipe holds a child process.
 */
export function execSessionOver(socket: WebSocket): ExecSession {
  const open = () => socket.readyState === socket.OPEN;
  const frame = (channel: number, data: Buffer) => Buffer.concat([Buffer.of(channel), data]);
  // A reader slower than the command pauses the socket, and the server then pauses the command.
  const stdout = new Readable({ read: () => socket.isPaused && socket.resume() });
  const stderr = new Readable({ read: () => socket.isPaused && socket.resume() });
  const stdin = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (open()) socket.send(frame(CHANNEL.stdin, chunk), () => done());
      else done();
    },
    final(done) {
      if (open()) socket.send(frame(CHANNEL.stdin, Buffer.alloc(0)));
      done();
    },
  });
  let exit: number | undefined;
  socket.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    if (data[0] === CHANNEL.stdout) {
      if (!stdout.push(payload)) socket.pause();
    } else if (data[0] === CHANNEL.stderr) {
      if (!stderr.push(payload)) socket.pause();
    } else if (data[0] === CHANNEL.exit) {
      exit = parseJson<{ exitCode?: number }>(payload)?.exitCode;
    }
  });
  // A broken connection also ends in 'close', which says what happened.
  socket.on('error', () => {});
  const exitCode = new Promise<number>((resolve, reject) => {
    socket.once('close', (code: number, reason: Buffer) => {
      stdout.push(null);
      stderr.push(null);
      if (exit !== undefined) resolve(exit);
      else reject(new OrchestrationError('Unavailable', `the exec stream closed before the command ended (${reason.toString() || `code ${code}`})`));
    });
  });
  return {
    stdout,
    stderr,
    stdin,
    resize: (cols, rows) => open() && socket.send(frame(CHANNEL.resize, Buffer.from(JSON.stringify({ cols, rows })))),
    exitCode,
  };
}

function parseJson<T>(data: Buffer): T | undefined {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

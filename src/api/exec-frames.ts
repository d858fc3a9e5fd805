import type { Readable } from 'node:stream';
import type { ExecSession } from '../runtime/container-runtime.js';

/**
 * The wire form of a non-interactive exec, shared by the API, the agent's server and their
 * clients: NDJSON lines `{"stream":"stdout"|"stderr","data":"<base64>"}`, then one `{"exitCode":N}`.
 */
export type ExecFrame = { stream: 'stdout' | 'stderr'; data: string } | { exitCode: number };

/** Writes a session's output as frames to `out`, and the exit code last, once both streams ended. */
export async function writeExecFrames(session: ExecSession, out: NodeJS.WritableStream & { end(chunk?: string): unknown }): Promise<void> {
  const frame = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => out.write(JSON.stringify({ stream, data: chunk.toString('base64') }) + '\n');
  session.stdout.on('data', frame('stdout'));
  session.stderr.on('data', frame('stderr'));
  const exitCode = await exitAfterOutput(session);
  out.end(JSON.stringify({ exitCode }) + '\n');
}

/**
 * The session's exit code, once the output still in flight when the process exited has been read
 * (bounded: a stream a grandchild holds open is not waited for), so that it is sent before the code.
 */
export async function exitAfterOutput(session: ExecSession): Promise<number> {
  const ended = (s: Readable) => new Promise<void>((resolve) => (s.readable === false ? resolve() : s.once('end', resolve).once('close', resolve)));
  const exitCode = await session.exitCode;
  await Promise.race([Promise.all([ended(session.stdout), ended(session.stderr)]), new Promise((r) => setTimeout(r, 2000))]);
  return exitCode;
}

/** The JSON values of an NDJSON stream, one per line, as they arrive. */
export async function* ndjson<T>(input: Readable): AsyncGenerator<T> {
  let buf = '';
  input.setEncoding('utf8');
  for await (const chunk of input) {
    buf += chunk as string;
    let idx: number;
    while ((idx = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, idx);
      buf = buf.slice(idx + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
}

/** Reads frames from `input`, handing each output chunk over; resolves with the exit code (1 if none came). */
export async function readExecFrames(input: Readable, onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void): Promise<number> {
  let exitCode = 1;
  for await (const frame of ndjson<ExecFrame>(input)) {
    if ('exitCode' in frame) exitCode = frame.exitCode;
    else onOutput(frame.stream, Buffer.from(frame.data, 'base64'));
  }
  return exitCode;
}

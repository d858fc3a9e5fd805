import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OrchestrationError, type ErrorCode } from '../types/errors.js';
import type { NodeImages } from './context.js';
import { ndjson } from './exec-frames.js';

/**
 * The wire forms of image transfers, shared by the API, the agent's server and their clients (the
 * CLI, HttpGateway). A pull answers NDJSON lines `{"progress":…}`, then one `{"image":…}` or
 * `{"error":{"code","message"}}`: the status line is sent before the pull starts, so its failure is a
 * line, not a status. An import is a tar request body.
 */
type PullProgress = Parameters<NonNullable<Parameters<NodeImages['pull']>[1]['onProgress']>>[0];
type PulledImage = Awaited<ReturnType<NodeImages['pull']>>;
export type PullFrame = { progress: PullProgress } | { image: PulledImage } | { error: { code: ErrorCode; message: string } };

/** The reference a pull request body names, or an InvalidInput error. */
export function pullRefOf(body: unknown): string {
  const ref = (body as { ref?: unknown } | null)?.ref;
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 255) throw OrchestrationError.invalidInput([{ path: 'ref', message: 'must be an image reference' }], 'pull request');
  return ref;
}

/** Pulls `ref` and answers `res` with frames; the caller closing the connection aborts the pull. */
export async function servePull(images: NodeImages, ref: string, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  // The response's close, not the request's: a request closes as soon as its body has been read.
  res.on('close', () => res.writableFinished || abort.abort());
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (frame: PullFrame) => JSON.stringify(frame) + '\n';
  try {
    const image = await images.pull(ref, { signal: abort.signal, onProgress: (progress) => res.write(line({ progress })) });
    res.end(line({ image }));
  } catch (err) {
    res.end(line({ error: { code: (err as OrchestrationError).code ?? 'RuntimeError', message: (err as Error).message } }));
  }
}

/** Reads a pull's frames, handing progress over; resolves with the image, or throws the error frame's error. */
export async function readPullFrames(input: Readable, onProgress?: (p: PullProgress) => void): Promise<PulledImage> {
  for await (const frame of ndjson<PullFrame>(input)) {
    if ('progress' in frame) onProgress?.(frame.progress);
    else if ('image' in frame) return frame.image;
    else throw new OrchestrationError(frame.error.code, frame.error.message);
  }
  throw new OrchestrationError('Unavailable', 'the pull\'s progress stream ended before its result');
}

/** Imports an archive sent as a request body: written to a temp file first (the store imports from a file), removed after. */
export async function importUpload(images: NodeImages, body: Readable): Promise<Awaited<ReturnType<NodeImages['importArchive']>>> {
  const dir = await mkdtemp(join(tmpdir(), 'orch-import-'));
  try {
    const file = join(dir, 'image.tar');
    await pipeline(body, createWriteStream(file));
    return await images.importArchive(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

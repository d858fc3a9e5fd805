import { copyFileSync, renameSync, statSync, truncateSync, watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { lastLines } from '../simulated/last-lines.js';

const CHUNK = 64 * 1024;

/** The file a log is rotated into: one generation is kept, as `docker logs` with max-file=2 does. */
export const rotatedPath = (path: string) => `${path}.1`;

/**
 * Rotates the log when it is over `maxBytes` (copy to `.1`, then truncate): the writer holds the file
 * open with O_APPEND and cannot be asked to reopen it, so the file is emptied in place, as logrotate's
 * copytruncate does. The copy is made under a temporary name and renamed, so `.1` appears whole; what
 * is written between the copy and the truncate is lost.
 */
export function rotateIfOver(path: string, maxBytes: number): boolean {
  try {
    if (statSync(path).size <= maxBytes) return false;
    const copy = `${rotatedPath(path)}.tmp`;
    copyFileSync(path, copy);
    renameSync(copy, rotatedPath(path));
    truncateSync(path, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last `n` lines (all when `n` is undefined) of the rotated file followed by the first `size`
 * bytes of the current one, read backwards in chunks so that a long log costs only what is returned.
 */
export async function readTail(path: string, size: number, n: number | undefined): Promise<Buffer> {
  if (n !== undefined && n <= 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let newlines = await readBackwards(path, size, n, parts);
  if (n === undefined || newlines <= n) {
    const previous = await stat(rotatedPath(path)).catch(() => undefined);
    if (previous) newlines += await readBackwards(rotatedPath(path), previous.size, n === undefined ? undefined : n - newlines, parts);
  }
  const all = Buffer.concat(parts);
  return n === undefined ? all : Buffer.from(lastLines(all.toString('utf8'), n), 'utf8');
}

/** Prepends chunks of the file to `parts` from `size` backwards until more than `n` newlines are read; returns how many were. */
async function readBackwards(path: string, size: number, n: number | undefined, parts: Buffer[]): Promise<number> {
  const fh = await open(path, 'r');
  try {
    let pos = size;
    let newlines = 0;
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      parts.unshift(buf.subarray(0, bytesRead)); // short only when the file was truncated meanwhile
      if (n !== undefined) {
        for (const b of buf) if (b === 10) newlines++;
        if (newlines > n) break;
      }
    }
    return newlines;
  } finally {
    await fh.close();
  }
}

export interface FollowControl {
  /** Reads what is new, then ends the stream: the writer is gone. */
  finish(): void;
}

/**
 * A stream of the file's bytes: the last `tail` lines now and, with `follow`, what is appended later
 * (woken by inotify through fs.watch) until `control.finish()` or the abort signal. `onClose` runs once
 * when the stream ends for any reason, so the caller can forget the control.
 */
export async function logStream(
  path: string,
  options: { tail?: number; follow?: boolean; signal?: AbortSignal },
  onClose?: (control: FollowControl) => void,
): Promise<{ stream: Readable; control: FollowControl }> {
  const size = (await stat(path)).size;
  const head = await readTail(path, size, options.tail);
  const stream = new Readable({ read() {} });
  if (head.length) stream.push(head);
  let pos = size;
  let watcher: FSWatcher | undefined;
  let reading = false;
  let again = false;
  let finishing = false;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    watcher?.close();
    options.signal?.removeEventListener('abort', close);
    if (!stream.readableEnded) stream.push(null);
    onClose?.(control);
  };
  const pump = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const fh = await open(path, 'r');
        try {
          if ((await fh.stat()).size < pos) pos = 0; // rotated: truncated in place
          for (;;) {
            const buf = Buffer.alloc(CHUNK);
            const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
            if (bytesRead === 0) break;
            pos += bytesRead;
            if (!closed) stream.push(buf.subarray(0, bytesRead));
          }
        } finally {
          await fh.close();
        }
      } while (again && !closed);
    } catch {
      finishing = true; // the file is gone: the container was removed
    } finally {
      reading = false;
    }
    if (finishing) close();
  };
  const control: FollowControl = {
    finish() {
      finishing = true;
      void pump();
    },
  };

  if (!options.follow) {
    close();
    return { stream, control };
  }
  watcher = watch(path, () => void pump());
  watcher.on('error', () => control.finish());
  options.signal?.addEventListener('abort', close, { once: true });
  stream.once('close', close);
  void pump(); // what was written between stat and watch
  return { stream, control };
}

import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * Reads a log conmon writes in the CRI "k8s-file" format (`<time> <stream> <F|P> <text>`, a P line
 * being a piece of a longer line) back into the container's combined output. `follow` keeps the
 * stream open for new lines and ends it once `exited()` says the container is done and the file has
 * been read to its end.
 */
export interface LogReadOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  exited: () => Promise<boolean>;
  /** Directories whose changes mean "look again" (the log's and the exit file's). */
  watchDirs: string[];
}

const SAFETY_POLL_MS = 500;

export function decodeK8sLines(lines: string[]): string {
  let out = '';
  for (const line of lines) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const tag = line.slice(b + 1, c < 0 ? undefined : c);
    const text = c < 0 ? '' : line.slice(c + 1);
    out += tag === 'P' ? text : `${text}\n`;
  }
  return out;
}

export async function readLog(file: string, options: LogReadOptions): Promise<Readable> {
  const { content, end } = await readEnd(file, options.tail);
  const complete = content.slice(0, content.lastIndexOf('\n') + 1);
  let offset = end - Buffer.byteLength(content) + Buffer.byteLength(complete);
  let lines = complete.split('\n').filter((l) => l !== '');
  if (options.tail !== undefined) lines = options.tail <= 0 ? [] : lastLogicalLines(lines, options.tail);
  const initial = decodeK8sLines(lines);
  if (!options.follow) return Readable.from(initial ? [initial] : []);

  const out = new Readable({ read() {} });
  if (initial) out.push(initial);
  const watchers: FSWatcher[] = [];
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  for (const dir of options.watchDirs) {
    try {
      watchers.push(watch(dir, poke));
    } catch {
      /* gone already: the safety poll covers it */
    }
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
    poke();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  out.on('close', stop);

  void (async () => {
    let partial = '';
    try {
      while (!stopped) {
        const wasDone = await options.exited();
        const fh = await open(file, 'r').catch(() => undefined);
        if (fh) {
          try {
            // conmon truncates a log that reaches its size cap: start over from the top.
            if ((await fh.stat()).size < offset) {
              offset = 0;
              partial = '';
            }
            for (;;) {
              const buf = Buffer.alloc(64 * 1024);
              const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
              if (bytesRead === 0) break;
              offset += bytesRead;
              const text = partial + buf.subarray(0, bytesRead).toString('utf8');
              const cut = text.lastIndexOf('\n');
              partial = text.slice(cut + 1);
              const decoded = decodeK8sLines(text.slice(0, cut + 1).split('\n').filter((l) => l !== ''));
              if (decoded) out.push(decoded);
            }
          } finally {
            await fh.close();
          }
        }
        if (wasDone) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SAFETY_POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (!out.destroyed) out.push(null);
    } catch (err) {
      out.destroy(err as Error);
    } finally {
      for (const w of watchers) w.close();
      options.signal?.removeEventListener('abort', stop);
    }
  })();
  return out;
}

/**
 * The whole log, or (for a tail) enough of its end to hold `tail` lines: read backwards in growing
 * chunks so that `--tail 10` of a large log does not read all of it. The first line of a partial read
 * may be cut; lastLogicalLines only takes whole lines after it.
 */
async function readEnd(file: string, tail: number | undefined): Promise<{ content: string; end: number }> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return { content: '', end: 0 };
  try {
    const size = (await fh.stat()).size;
    let chunk = tail === undefined ? size : Math.min(size, 64 * 1024);
    for (;;) {
      const buf = Buffer.alloc(chunk);
      const { bytesRead } = await fh.read(buf, 0, chunk, size - chunk);
      let content = buf.subarray(0, bytesRead).toString('utf8');
      if (chunk < size) content = content.slice(content.indexOf('\n') + 1);
      const whole = content.split('\n').filter((l) => l !== '' && l.split(' ', 3)[2] !== 'P').length;
      if (chunk >= size || tail === undefined || whole > tail) return { content, end: size };
      chunk = Math.min(size, chunk * 4);
    }
  } finally {
    await fh.close();
  }
}

/** The file lines that make up the last `n` output lines (a line may span several P pieces). */
function lastLogicalLines(lines: string[], n: number): string[] {
  let count = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const tag = lines[i].split(' ', 3)[2];
    if (tag !== 'P') {
      if (count === n) return lines.slice(i + 1);
      count++;
    }
  }
  return lines;
}

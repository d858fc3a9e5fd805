import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

const MAX_SYMLINKS = 40;

/**
 * Resolves `path` as the container will see it, inside `root`: symlinks are followed as if `root`
 * were `/` (an absolute target restarts at `root`, `..` stops at `root`), so the host path returned
 * never lies outside `root` (the rule of Go's securejoin). Components that do not exist yet are kept
 * as written. The rootfs is not in use while this runs (the container has not started).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const todo = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new Error(`too many symlinks resolving ${path}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/** The same path relative to the container's `/`. */
export async function containerPath(root: string, path: string): Promise<string> {
  const resolved = await resolveInRoot(root, path);
  return `/${resolved.slice(root.length).replace(/^\/+/, '')}`;
}

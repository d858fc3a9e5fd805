import { readFile } from 'node:fs/promises';
import { accessSync, constants, realpathSync, watch, type FSWatcher } from 'node:fs';
import { OrchestrationError } from '../../types/errors.js';
import { readExit, type ContainerPaths } from './container-files.js';

/** An absolute, symlink-free path for a binary named on PATH or given as a path. */
export function resolveBinary(name: string): string {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return realpathSync(c);
    } catch {
      /* next */
    }
  }
  throw new OrchestrationError('RuntimeError', `${name} is not installed (looked on PATH)`);
}

/** Safety net in case a watch event is missed (some filesystems drop them). */
const SAFETY_POLL_MS = 250;

/** Resolves true once conmon has recorded the container's exit, false after `ms`. */
export function waitForExit(paths: ContainerPaths, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let watcher: FSWatcher | undefined;
    const finish = (v: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(poll);
      watcher?.close();
      resolve(v);
    };
    const check = () => void readExit(paths).then((e) => e && finish(true), () => {});
    const deadline = setTimeout(() => finish(false), ms);
    const poll = setInterval(check, SAFETY_POLL_MS);
    try {
      watcher = watch(paths.persist, check);
    } catch {
      /* the poll covers it */
    }
    check();
  });
}

/**
 * Resolves true once process `pid` is no longer the conmon of container `id` (exited, or the pid now
 * belongs to something else), false if it still is after `ms`. Polls: Node has no way to wait on a
 * process that is not its child.
 */
export async function monitorGone(pid: number, id: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')));
    if (zombie || !args[0]?.endsWith('conmon') || !args.includes(id)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

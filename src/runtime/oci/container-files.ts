import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStat } from '../../lib/proc-stat.js';
import { OrchestrationError } from '../../types/errors.js';

/**
 * Where one container's files live: `<dataDir>/nodes/<node>/containers/<id>/` is its OCI bundle
 * (config.json, rootfs/), its metadata, its log, and conmon's pid and exit files. Everything the
 * runtime knows about a container is on disk here, so a new runtime object (a restarted agent)
 * knows it too.
 *
 * These files are a few hundred bytes, read from the page cache: they are read and written
 * synchronously, a few microseconds each. The promise API would take four thread-pool round trips
 * per read (open, stat, read, close), and on a busy node those queue behind each other: measured,
 * they were a tenth of the time a container took to start.
 */
export interface ContainerMeta {
  id: string;
  nodeId: string;
  name: string;
  image: string;
  imageDigest: string;
  labels: Record<string, string>;
  createdAt: string;
  cgroupsPath: string;
  rootfs: 'overlay' | 'copy';
  startedAt?: string;
  pid?: number;
  /** /proc/PID/stat start time of the container's process, to tell it from a later process with its pid. */
  pidStart?: string;
}

/** runc's id grammar, narrowed: it names a directory too. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,252}$/;
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

export function checkIds(nodeId: string, containerId: string | undefined): void {
  if (!NODE_ID.test(nodeId)) throw OrchestrationError.invalidInput([{ path: 'nodeId', message: `"${nodeId.slice(0, 60)}" is not a valid node id` }]);
  if (containerId !== undefined && !CONTAINER_ID.test(containerId)) {
    throw OrchestrationError.invalidInput([{ path: 'containerId', message: `"${containerId.slice(0, 60)}" is not a valid container id (letters, digits, "_.+-")` }]);
  }
}

export function nodePaths(dataDir: string, nodeId: string) {
  const dir = join(dataDir, 'nodes', nodeId);
  return { dir, containers: join(dir, 'containers'), runcRoot: join(dir, 'runc'), exits: join(dir, 'exits'), sockets: join(dir, 'sockets') };
}

export function containerPaths(dataDir: string, nodeId: string, id: string) {
  const node = nodePaths(dataDir, nodeId);
  const dir = join(node.containers, id);
  return {
    dir,
    /** conmon's copy of the exit code in the node's exit dir, watched for exit events. */
    exitCopy: join(node.exits, id),
    config: join(dir, 'config.json'),
    meta: join(dir, 'meta.json'),
    log: join(dir, 'ctr.log'),
    pid: join(dir, 'pid'),
    conmonPid: join(dir, 'conmon.pid'),
    persist: join(dir, 'persist'),
    exit: join(dir, 'persist', 'exit'),
    oom: join(dir, 'persist', 'oom'),
    etc: join(dir, 'etc'),
  };
}
export type ContainerPaths = ReturnType<typeof containerPaths>;

/** A small file's text, or undefined when it cannot be read (missing, mostly). */
export function readSmallFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readMeta(paths: ContainerPaths): Promise<ContainerMeta | undefined> {
  const text = readSmallFile(paths.meta);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ContainerMeta;
  } catch {
    return undefined;
  }
}

/** Replaces the metadata file whole (write, then rename), so a reader never sees half of it. */
export async function writeMeta(paths: ContainerPaths, meta: ContainerMeta): Promise<void> {
  const tmp = `${paths.meta}.tmp`;
  writeFileSync(tmp, JSON.stringify(meta));
  renameSync(tmp, paths.meta);
}

/** The container's exit as conmon recorded it, or undefined while it runs. */
export async function readExit(paths: ContainerPaths): Promise<{ code: number; at: Date } | undefined> {
  for (const file of [paths.exit, paths.exitCopy]) {
    const text = readSmallFile(file);
    if (text === undefined || text.trim() === '') continue;
    let at: Date;
    try {
      at = statSync(file).mtime;
    } catch {
      at = new Date();
    }
    return { code: Number.parseInt(text.trim(), 10), at };
  }
  return undefined;
}
/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined if no such process. */
export async function processStart(pid: number): Promise<string | undefined> {
  return readProcStat(pid)?.startTime;
}

export async function pidAlive(pid: number | undefined, start?: string): Promise<boolean> {
  if (!pid) return false;
  const now = await processStart(pid);
  return now !== undefined && (start === undefined || now === start);
}

/** Whether the kernel OOM-killed a process of this cgroup (v1 memory.oom_control or v2 memory.events). */
export async function cgroupSawOom(cgroupsPath: string): Promise<boolean> {
  for (const file of [`/sys/fs/cgroup/memory${cgroupsPath}/memory.oom_control`, `/sys/fs/cgroup${cgroupsPath}/memory.events`, `/sys/fs/cgroup/unified${cgroupsPath}/memory.events`]) {
    const text = readSmallFile(file);
    const m = text ? /^oom_kill (\d+)$/m.exec(text) : null;
    if (m && Number(m[1]) > 0) return true;
  }
  return false;
}

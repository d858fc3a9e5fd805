import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig } from '../../types/container.js';
import type { ContainerStatus } from '../../types/instance.js';
import type { ProcessIdentity } from './proc-stat.js';

export const RECORD_FILE = 'state.json';
export const LOG_FILE = 'output.log';

/** How a container's process ended, as far as the runtime knows. */
export interface ExitRecord {
  /** Absent when nobody saw the exit (it ended while no agent was running). */
  exitCode?: number;
  signal?: string;
  /** `Completed` (0), `Error` (anything else), `Unknown` (not observed). */
  reason: 'Completed' | 'Error' | 'Unknown';
  message?: string;
  finishedAt: string;
}

/**
 * Everything the process runtime knows of one container, persisted as `state.json` in the container's
 * directory so that a new ProcessRuntime (after an agent restart) finds and adopts it.
 */
export interface ContainerRecord {
  version: 1;
  containerId: string;
  nodeId: string;
  name: string;
  labels: Record<string, string>;
  config: ContainerConfig;
  /** The process as started: it leads its own process group (pgid = pid). */
  process: ProcessIdentity;
  logPath: string;
  /** The directory the process runs in. */
  workingDir: string;
  startedAt: string;
  exit?: ExitRecord;
}

/** Atomic replace (write, fsync, rename): a crash leaves the old record or the new one, never half. */
export function writeRecord(dir: string, record: ContainerRecord): void {
  const tmp = join(dir, `${RECORD_FILE}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(record));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, RECORD_FILE));
}

/** The record in `dir`, or undefined when there is none or it cannot be read as one. */
export function readRecord(dir: string): ContainerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as ContainerRecord;
    return r && r.version === 1 && typeof r.containerId === 'string' && r.process && typeof r.process.pid === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

export function statusOfRecord(r: ContainerRecord): ContainerStatus {
  const st: ContainerStatus = {
    containerId: r.containerId,
    name: r.name,
    state: r.exit ? 'Stopped' : 'Running',
    restartCount: 0,
    startedAt: r.startedAt,
    labels: r.labels,
  };
  if (!r.exit) st.pid = r.process.pid;
  else {
    if (r.exit.exitCode !== undefined) st.exitCode = r.exit.exitCode;
    st.reason = r.exit.reason;
    if (r.exit.message !== undefined) st.message = r.exit.message;
    st.finishedAt = r.exit.finishedAt;
  }
  return st;
}

import { constants } from 'node:os';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig } from '../../types/container.js';
import type { ContainerStatus } from '../../types/instance.js';
import type { ProcessIdentity } from '../../lib/proc-stat.js';

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
  hostname?: string;
  /** The container's command: its status shows this PID, and it runs while this process does. */
  process: ProcessIdentity;
  /**
   * Leader of the container's process group (pgid = its pid): the supervisor that waits for the
   * command and writes its exit status, or the command itself when unsupervised.
   */
  leader: ProcessIdentity;
  supervised: boolean;
  logPath: string;
  /** The directory the process runs in. */
  workingDir: string;
  startedAt: string;
  exit?: ExitRecord;
}

/**
 * Atomic replace (write, rename): an agent that crashes leaves the old record or the new one, never
 * half. No fsync: the record has to survive the agent, not the machine; after a power loss the boot id
 * differs, every recorded process is known dead, and an unreadable record is cleared as debris.
 */
export function writeRecord(dir: string, record: ContainerRecord): void {
  const tmp = join(dir, `${RECORD_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  renameSync(tmp, join(dir, RECORD_FILE));
}

/** The record in `dir`, or undefined when there is none or it cannot be read as one. */
export function readRecord(dir: string): ContainerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as ContainerRecord;
    return r && r.version === 1 && typeof r.containerId === 'string' && r.process && r.leader && typeof r.process.pid === 'number' && typeof r.leader.pid === 'number' ? r : undefined;
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

/** 128 + signal number, as a shell reports a process killed by a signal. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** The exit record for a status: 128+N is reported as signal N, as shells and Kubernetes do. */
export function exitOf(code: number | null, signal: NodeJS.Signals | null, killedAfterGraceMs: number | undefined): ExitRecord {
  const exitCode = exitCodeOf(code, signal);
  const name = signal ?? signalName(exitCode);
  let message: string | undefined;
  if (name === 'SIGKILL' && killedAfterGraceMs !== undefined) message = `killed by SIGKILL after the ${killedAfterGraceMs} ms grace period`;
  else if (name) message = `terminated by ${name}`;
  return {
    exitCode,
    ...(name ? { signal: name } : {}),
    reason: exitCode === 0 ? 'Completed' : 'Error',
    ...(message ? { message } : {}),
    finishedAt: new Date().toISOString(),
  };
}

function signalName(exitCode: number): NodeJS.Signals | undefined {
  if (exitCode <= 128) return undefined;
  return (Object.entries(constants.signals) as Array<[NodeJS.Signals, number]>).find(([, n]) => n === exitCode - 128)?.[0];
}


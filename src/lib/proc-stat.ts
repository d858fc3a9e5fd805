import { readdirSync, readFileSync } from 'node:fs';

/**
 * Identity of a host process that survives our own restarts: a PID alone can be reused by an unrelated
 * process once ours is gone, but the pair (boot id, start time in clock ticks since boot, field 22 of
 * /proc/PID/stat) names exactly one process for the machine's whole uptime.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat, kept as the decimal string the kernel prints. */
  startTime: string;
  bootId: string;
}

export interface ProcStat {
  /** The executable's name, at most 15 bytes (field 2). */
  comm: string;
  /** R, S, D, Z (zombie), T… */
  state: string;
  ppid: number;
  pgrp: number;
  startTime: string;
}

let cachedBootId: string | undefined;

export function bootId(): string {
  cachedBootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

/** The stat line of a process, or undefined when there is no such process. Synchronous on purpose: a few hundred bytes from the kernel (see ProcessRuntime.createContainer). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, close), state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: rest[19] };
}

export function identify(pid: number): ProcessIdentity | undefined {
  const st = readProcStat(pid);
  return st ? { pid, startTime: st.startTime, bootId: bootId() } : undefined;
}

/** True while the very process named by `id` runs (a zombie has finished and does not count). */
export function isAlive(id: ProcessIdentity): boolean {
  if (id.bootId !== bootId()) return false;
  const st = readProcStat(id.pid);
  return st !== undefined && st.startTime === id.startTime && st.state !== 'Z' && st.state !== 'X';
}

/** True when some process, ours or not, holds this PID. */
export function pidExists(pid: number): boolean {
  return readProcStat(pid) !== undefined;
}

/**
 * PIDs of the live (non-zombie) members of process group `pgid`. Zombies are left out because an
 * orphan is only reaped when PID 1 reaps, and not every PID 1 does (minimal container inits).
 */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(entry));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** True while any process is in group `pgid`, zombies included (one kill(2), no /proc scan). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

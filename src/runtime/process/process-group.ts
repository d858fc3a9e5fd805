import { groupExists, isAlive, liveGroupMembers, pidExists, type ProcessIdentity } from '../../lib/proc-stat.js';

/**
 * Whether signalling the process group led by `leader` can only reach processes of ours. While the
 * leader runs it can (same start time). Once it is gone, a member left behind still holds the group id,
 * and the kernel does not hand a PID out while a group of that number exists; so if no process has the
 * leader's PID, any member of the group is ours. If some other process has that PID now, the PID was
 * reused, which the kernel does only once our group is empty: nothing to signal.
 */
export function groupIsOurs(leader: ProcessIdentity): boolean {
  return isAlive(leader) || !pidExists(leader.pid);
}

/** Sends `signal` to every member of the group; false when nothing was there to receive it. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves true once no live member of the group is left, false when `timeoutMs` passes first. It
 * polls because a group has no exit event and its members need not be our children; while the leader
 * runs, one read of its stat answers, and /proc is scanned only once it is gone.
 */
export async function waitForGroupGone(leader: ProcessIdentity, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!groupExists(leader.pid) || (!isAlive(leader) && liveGroupMembers(leader.pid).length === 0)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL to whatever is left after `graceMs` (at once when it is
 * 0). `beforeKill` runs just before a SIGKILL is sent. Resolves with the last signal sent.
 */
export async function terminateGroup(leader: ProcessIdentity, graceMs: number, beforeKill?: () => void): Promise<'SIGTERM' | 'SIGKILL'> {
  if (graceMs > 0) {
    signalGroup(leader.pid, 'SIGTERM');
    if (await waitForGroupGone(leader, graceMs)) return 'SIGTERM';
  }
  if (liveGroupMembers(leader.pid).length > 0) {
    beforeKill?.();
    signalGroup(leader.pid, 'SIGKILL');
    await waitForGroupGone(leader, 10_000);
  }
  return 'SIGKILL';
}

import { existsSync } from 'node:fs';
import type { ContainerStatus } from '../../types/instance.js';
import { cgroupSawOom, pidAlive, readExit, readSmallFile, type ContainerMeta, type ContainerPaths } from './container-files.js';

/**
 * A container's status from its files alone (no runtime call, so listing many is cheap): conmon's
 * exit file says it ended and how; otherwise its process is alive, or its monitor still is (the exit
 * is being written). A container whose monitor and process are both gone without an exit file
 * (killed monitor, reboot) is Stopped with reason Unknown.
 */
export async function statusOf(meta: ContainerMeta, paths: ContainerPaths): Promise<ContainerStatus> {
  const base: ContainerStatus = {
    containerId: meta.id,
    name: meta.name,
    state: 'Created',
    restartCount: 0,
    labels: meta.labels,
    ...(meta.startedAt ? { startedAt: meta.startedAt } : {}),
  };
  const exit = await readExit(paths);
  if (exit) {
    const oom = exit.code === 137 && (existsSync(paths.oom) || (await cgroupSawOom(meta.cgroupsPath)));
    return { ...base, state: 'Stopped', exitCode: exit.code, reason: oom ? 'OOMKilled' : exit.code === 0 ? 'Completed' : 'Error', finishedAt: exit.at.toISOString() };
  }
  if (!meta.startedAt) return base;
  if (await pidAlive(meta.pid, meta.pidStart)) return { ...base, state: 'Running', pid: meta.pid };
  const conmonPid = Number.parseInt(readSmallFile(paths.conmonPid) ?? '', 10);
  if (await pidAlive(conmonPid)) return { ...base, state: 'Running' };
  return { ...base, state: 'Stopped', reason: 'Unknown', message: 'the container and its monitor are gone and no exit code was recorded' };
}

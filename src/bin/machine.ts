import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { NodeResources } from '../types/resources.js';

/** This machine's real size: cores, memory and the free space of the data dir's file system. */
export function measureCapacity(dataDir: string): NodeResources {
  let diskMb = 0;
  try {
    const fs = statfsSync(dataDir);
    diskMb = Math.floor((fs.bavail * fs.bsize) / 2 ** 20);
  } catch {
    diskMb = 0;
  }
  return { cpuCores: cpus().length, memoryMb: Math.floor(totalmem() / 2 ** 20), diskMb };
}

/**
 * What instances may use: capacity less a reserve for the system and the agent itself, as the
 * kubelet's system-reserved does (10 % of memory, at least 256 MB; 100 millicores).
 */
export function allocatableOf(c: NodeResources): NodeResources {
  const memReserve = Math.max(256, Math.floor(c.memoryMb * 0.1));
  return { ...c, cpuCores: Math.max(0.1, Math.round((c.cpuCores - 0.1) * 1000) / 1000), memoryMb: Math.max(1, c.memoryMb - memReserve) };
}

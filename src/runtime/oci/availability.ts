import { accessSync, constants } from 'node:fs';

/**
 * Whether this machine can run the OCI runtime, for the composition root to choose it (as Docker
 * and Podman do, by looking): undefined when it can, else the first thing missing, in words.
 */
export function ociUnavailableReason(runtimeBinary = 'runc'): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root';
  for (const bin of [runtimeBinary, 'conmon', 'setfattr', 'script']) {
    if (!onPath(bin)) return `needs ${bin} on PATH`;
  }
  return undefined;
}

function onPath(bin: string): boolean {
  const dirs = bin.includes('/') ? [''] : (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  return dirs.some((d) => {
    try {
      accessSync(d ? `${d}/${bin}` : bin, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

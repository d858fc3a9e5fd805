import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ContainerConfig } from '../../types/container.js';
import { OrchestrationError } from '../../types/errors.js';
import type { ImageRunConfig } from '../images/image-types.js';
import { resolveInRoot } from './root-path.js';

/**
 * What is decided about a container before its spec is written, each a place where a workload spec
 * could otherwise reach outside its container: the user (names looked up in the image's own
 * /etc/passwd, read inside its layers), the working directory (resolved by runc inside the rootfs), and bind mounts (never the runtime's own binaries or state).
 */
const FORBIDDEN_CWD = /^\/(proc|sys|dev)(\/|$)/;

export function invalid(path: string, message: string): OrchestrationError {
  return OrchestrationError.invalidInput([{ path, message }], 'container');
}

export async function resolveUser(roots: string[], config: ContainerConfig, image: ImageRunConfig): Promise<{ uid: number; gid: number }> {
  const spec = config.user ?? image.User ?? '';
  if (spec === '') return { uid: 0, gid: 0 };
  const [user, group] = spec.split(':');
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const entry = (await readInRoots(roots, '/etc/passwd')).find((f) => f[0] === user);
    if (!entry) throw invalid('user', `user "${user}" is not in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const entry = (await readInRoots(roots, '/etc/group')).find((f) => f[0] === group);
      if (!entry) throw invalid('user', `group "${group}" is not in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  if (gid === undefined) {
    const entry = (await readInRoots(roots, '/etc/passwd')).find((f) => Number(f[2]) === uid);
    gid = entry ? Number(entry[3]) : uid;
  }
  return { uid, gid };
}

/** The file from the first root (topmost layer first) that has it, read with symlinks kept inside that root. */
async function readInRoots(roots: string[], path: string): Promise<string[][]> {
  for (const root of roots) {
    const text = await readFile(await resolveInRoot(root, path), 'utf8').catch(() => undefined);
    if (text !== undefined) return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  }
  return [];
}

/**
 * The working directory, normalized. runc changes into it inside the container's mount namespace
 * after pivot_root (creating it if missing), so it resolves within the rootfs whatever symlinks the
 * image holds; kernel filesystems are refused outright.
 */
export function workingDirOf(config: ContainerConfig, image: ImageRunConfig): string {
  const wanted = config.workingDir ?? (image.WorkingDir || '/');
  if (!wanted.startsWith('/')) throw invalid('workingDir', 'must be an absolute path');
  const normal = posix.normalize(wanted);
  if (FORBIDDEN_CWD.test(normal)) throw invalid('workingDir', `"${wanted}" is inside a kernel filesystem`);
  return normal;
}

/** Refuses bind mounts of the runtime's binaries or of its data dir (or a directory holding them). */
export function checkMounts(config: ContainerConfig, protectedPaths: string[]): void {
  (config.mounts ?? []).forEach((m, i) => {
    if (m.type !== 'bind' || !m.source) return;
    let real: string;
    try {
      real = realpathSync(m.source);
    } catch {
      throw invalid(`mounts[${i}].source`, `"${m.source}" does not exist on the node`);
    }
    for (const p of protectedPaths) {
      if (p === real || p.startsWith(real === '/' ? '/' : `${real}/`) || real.startsWith(`${p}/`)) {
        throw invalid(`mounts[${i}].source`, `"${m.source}" would expose the container runtime (${p}) to the container`);
      }
    }
  });
}

/** /etc/hostname, /etc/hosts, /etc/resolv.conf for the container, bind-mounted from its bundle. */
export function writeEtcFiles(dir: string, hostname: string, hostNetwork: boolean): { hostname: string; hosts: string; resolvConf: string } {
  mkdirSync(dir, { recursive: true });
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  writeFileSync(files.hostname, `${hostname}\n`);
  writeFileSync(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  let resolv = '';
  try {
    if (hostNetwork) resolv = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* a host without one: the container gets none either */
  }
  writeFileSync(files.resolvConf, resolv);
  return files;
}

import { realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig } from '../../types/container.js';
import { OrchestrationError } from '../../types/errors.js';
import type { ImageRunConfig } from '../images/image-types.js';
import { containerPath, resolveInRoot } from './root-path.js';

/**
 * What is decided about a container before its spec is written, each a place where a workload spec
 * could otherwise reach outside its container: the user (names looked up in the image's own
 * /etc/passwd, read inside the rootfs), the working directory (resolved and created inside the
 * rootfs), and bind mounts (never the runtime's own binaries or state).
 */
const FORBIDDEN_CWD = /^\/(proc|sys|dev)(\/|$)/;

export function invalid(path: string, message: string): OrchestrationError {
  return OrchestrationError.invalidInput([{ path, message }], 'container');
}

export async function resolveUser(rootfs: string, config: ContainerConfig, image: ImageRunConfig): Promise<{ uid: number; gid: number }> {
  const spec = config.user ?? image.User ?? '';
  if (spec === '') return { uid: 0, gid: 0 };
  const [user, group] = spec.split(':');
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const entry = (await readInRoot(rootfs, '/etc/passwd')).find((f) => f[0] === user);
    if (!entry) throw invalid('user', `user "${user}" is not in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const entry = (await readInRoot(rootfs, '/etc/group')).find((f) => f[0] === group);
      if (!entry) throw invalid('user', `group "${group}" is not in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  if (gid === undefined) {
    const entry = (await readInRoot(rootfs, '/etc/passwd')).find((f) => Number(f[2]) === uid);
    gid = entry ? Number(entry[3]) : uid;
  }
  return { uid, gid };
}

async function readInRoot(rootfs: string, path: string): Promise<string[][]> {
  const text = await readFile(await resolveInRoot(rootfs, path), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/** The working directory as the container sees it, created (owned by the user) when the image lacks it. */
export async function prepareWorkingDir(rootfs: string, config: ContainerConfig, image: ImageRunConfig, owner: { uid: number; gid: number }): Promise<string> {
  const wanted = config.workingDir ?? (image.WorkingDir || '/');
  if (!wanted.startsWith('/')) throw invalid('workingDir', 'must be an absolute path');
  const inside = await containerPath(rootfs, wanted);
  if (FORBIDDEN_CWD.test(inside)) throw invalid('workingDir', `"${wanted}" resolves to ${inside}, inside a kernel filesystem`);
  const host = join(rootfs, inside);
  await mkdir(host, { recursive: true, mode: 0o755 });
  if (inside !== '/' && config.readOnlyRootfs !== true) {
    const { chown } = await import('node:fs/promises');
    await chown(host, owner.uid, owner.gid).catch(() => {});
  }
  return inside;
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
export async function writeEtcFiles(dir: string, hostname: string, hostNetwork: boolean): Promise<{ hostname: string; hosts: string; resolvConf: string }> {
  await mkdir(dir, { recursive: true });
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  await writeFile(files.hostname, `${hostname}\n`);
  await writeFile(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  const resolv = hostNetwork ? await readFile('/etc/resolv.conf', 'utf8').catch(() => '') : '';
  await writeFile(files.resolvConf, resolv);
  return files;
}

import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../types/logger.js';
import type { UnpackedLayer } from '../images/image-store.js';

const run = promisify(execFile);

/**
 * A container's root filesystem: an overlayfs mount of the image's shared, read-only layers with a
 * private upper dir, so starting a container copies nothing. Where overlayfs cannot be mounted
 * (an overlay-on-overlay data dir, a kernel without it) the layers are copied instead, applying
 * their whiteouts. Either way `<dir>/rootfs` is the bundle's root, and `release` undoes it.
 */
export type RootfsMode = 'overlay' | 'copy';

export async function prepareRootfs(dir: string, layers: UnpackedLayer[], log: Logger, allowOverlay = true): Promise<RootfsMode> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  if (allowOverlay && layers.length > 0) {
    try {
      await mountOverlay(dir, layers);
      return 'overlay';
    } catch (err) {
      log.warn({ dir, err: (err as Error).message }, 'overlayfs unavailable, copying the image instead');
    }
  }
  await copyLayers(rootfs, layers);
  return 'copy';
}

async function mountOverlay(dir: string, layers: UnpackedLayer[]): Promise<void> {
  await mkdir(join(dir, 'upper'), { recursive: true });
  await mkdir(join(dir, 'work'), { recursive: true });
  // Layers share one parent, so lowerdir lists short names relative to it (mount options are at most a page).
  const parent = dirname(layers[0].dir);
  const sameParent = layers.every((l) => dirname(l.dir) === parent);
  const lower = [...layers].reverse().map((l) => (sameParent ? basename(l.dir) : l.dir)).join(':');
  const options = `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
  await run('mount', ['-t', 'overlay', 'overlay', '-o', options, join(dir, 'rootfs')], { cwd: sameParent ? parent : undefined });
}

async function copyLayers(rootfs: string, layers: UnpackedLayer[]): Promise<void> {
  for (const layer of layers) {
    for (const opaque of layer.opaqueDirs) {
      await rm(join(rootfs, opaque), { recursive: true, force: true });
      await mkdir(join(rootfs, opaque), { recursive: true });
    }
    for (const gone of layer.whiteouts) await rm(join(rootfs, gone), { recursive: true, force: true });
    await run('cp', ['-a', '--no-preserve=xattr', `${layer.dir}/.`, `${rootfs}/`]);
    for (const gone of layer.whiteouts) await rm(join(rootfs, gone), { force: true });
  }
}

/** Unmounts (if mounted) and deletes the rootfs and overlay dirs; idempotent. */
export async function releaseRootfs(dir: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  if (await isMountPoint(rootfs)) await run('umount', [rootfs]).catch(() => run('umount', ['-l', rootfs]));
  for (const d of ['rootfs', 'upper', 'work']) await rm(join(dir, d), { recursive: true, force: true });
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[4] === path);
}

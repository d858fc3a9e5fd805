import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../types/logger.js';
import type { UnpackedLayer } from '../images/image-store.js';
import type { OciMount } from './oci-spec.js';

const run = promisify(execFile);

/**
 * A container's root filesystem: an overlayfs of the image's shared, read-only layers with a private
 * upper dir, so starting a container copies nothing. The overlay is the spec's first mount, at "/":
 * runc mounts it inside the container's own mount namespace, so it never appears in the host's mount
 * table and ends with the container (nothing to unmount, nothing to leak). Where overlayfs cannot be
 * used (a data dir that is itself on overlayfs, a kernel without it) the layers are copied into
 * `<dir>/rootfs` instead, applying their whiteouts.
 */
export type RootfsMode = 'overlay' | 'copy';

export interface PreparedRootfs {
  mode: RootfsMode;
  /** The overlay mount for the spec (overlay mode). */
  rootMount?: OciMount;
  /** Host directories to read image files from, topmost first (user and group lookups). */
  lookupRoots: string[];
}

const OVERLAYFS_MAGIC = 0x794c7630;
/** mount(2) takes at most a page of options; stay clear of it. */
const MAX_MOUNT_DATA = 3800;

export async function prepareRootfs(dir: string, layers: UnpackedLayer[], log: Logger, allowOverlay = true): Promise<PreparedRootfs> {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  if (allowOverlay && layers.length > 0 && (await overlayUsable(layers[0].dir))) {
    const lower = [...layers].reverse().map((l) => l.dir).join(':');
    const options = [`lowerdir=${lower}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`];
    if (options.join(',').length <= MAX_MOUNT_DATA) {
      mkdirSync(join(dir, 'upper'));
      mkdirSync(join(dir, 'work'));
      return { mode: 'overlay', rootMount: { destination: '/', type: 'overlay', source: 'overlay', options }, lookupRoots: layers.map((l) => l.dir).reverse() };
    }
    log.warn({ dir, layers: layers.length }, 'too many layers for one overlay mount, copying the image instead');
  }
  await copyLayers(rootfs, layers);
  return { mode: 'copy', lookupRoots: [rootfs] };
}

let overlayKnown: boolean | undefined;
/** Per layer dir: the filesystem under it does not change while the layer exists. */
const overlayOk = new Map<string, boolean>();
async function overlayUsable(layerDir: string): Promise<boolean> {
  if (overlayKnown === undefined) overlayKnown = /\toverlay$/m.test(await readFile('/proc/filesystems', 'utf8').catch(() => ''));
  if (!overlayKnown) return false;
  const known = overlayOk.get(layerDir);
  if (known !== undefined) return known;
  const fs = await statfs(layerDir).catch(() => undefined);
  const ok = fs !== undefined && fs.type !== OVERLAYFS_MAGIC;
  if (fs !== undefined) overlayOk.set(layerDir, ok);
  return ok;
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

/** Deletes the rootfs and overlay dirs (unmounting first if something mounted the rootfs); idempotent. */
export async function releaseRootfs(dir: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  if (await isMountPoint(rootfs)) await run('umount', [rootfs]).catch(() => run('umount', ['-l', rootfs]));
  for (const d of ['rootfs', 'upper', 'work']) await rm(join(dir, d), { recursive: true, force: true });
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[4] === path);
}

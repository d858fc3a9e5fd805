import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OrchestrationError } from '../../types/errors.js';
import { digestHex, isDigest } from './digest.js';
import { INDEX_TYPES, MEDIA, pickPlatform, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest, type ImageRecord } from './image-types.js';
import type { FsImageStore } from './image-store.js';
import { canonicalImageRef } from './reference.js';
import { safeRelative, unpackTarFile } from './safe-untar.js';

export interface ImportOptions {
  /** Name for images the archive names only by tag (or not at all): `repo` or `repo:tag`. */
  name?: string;
}

/**
 * Imports an OCI image layout tar (`skopeo copy … oci-archive:`) or a `docker save` tar. The archive
 * is unpacked with the same guards as a layer, every blob is checked against its digest, and files
 * it names must be regular files inside it.
 */
export async function importArchive(store: FsImageStore, path: string, options: ImportOptions): Promise<ImageRecord[]> {
  const dir = await store.tempPath();
  try {
    await unpackTarFile(path, dir, { layer: false });
    const isOci = await regular(dir, 'oci-layout').then(() => true, () => false);
    const records = isOci ? await importOciLayout(store, dir, options) : await importDockerSave(store, dir, options);
    for (const r of records) await store.commit(r);
    return records;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function importOciLayout(store: FsImageStore, dir: string, options: ImportOptions): Promise<ImageRecord[]> {
  const index = JSON.parse(await readFile(await regular(dir, 'index.json'), 'utf8')) as ImageIndex;
  const blob = async (digest: string) => regular(dir, `blobs/sha256/${digestHex(digest)}`);
  const records: ImageRecord[] = [];
  for (const top of index.manifests ?? []) {
    let desc: Descriptor = top;
    if (INDEX_TYPES.includes(desc.mediaType)) {
      const inner = JSON.parse(await readFile(await blob(desc.digest), 'utf8')) as ImageIndex;
      const chosen = pickPlatform(inner);
      if (!chosen) continue;
      await store.putBlobFile(await blob(desc.digest), desc.digest);
      desc = chosen;
    }
    const manifestFile = await blob(desc.digest);
    const manifestBody = await readFile(manifestFile);
    const manifest = JSON.parse(manifestBody.toString('utf8')) as ImageManifest;
    for (const d of [manifest.config, ...manifest.layers]) {
      if (!isDigest(d.digest)) throw new OrchestrationError('InvalidInput', `archive blob digest ${d.digest} is not sha256`);
      if (!store.hasBlob(d.digest)) await store.putBlobFile(await blob(d.digest), d.digest);
    }
    const config = JSON.parse(await readFile(store.blobPath(manifest.config.digest), 'utf8')) as ImageConfigFile;
    const digest = store.hasBlob(desc.digest) ? desc.digest : await store.putBlob(manifestBody, desc.digest);
    const name = top.annotations?.['io.containerd.image.name'] ?? top.annotations?.['org.opencontainers.image.ref.name'];
    records.push(await recordFor(store, nameFor(name, options, digest), digest, manifest.config.digest, manifest.layers, config));
  }
  if (records.length === 0) throw new OrchestrationError('InvalidInput', 'the OCI archive holds no image for this platform');
  return records;
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function importDockerSave(store: FsImageStore, dir: string, options: ImportOptions): Promise<ImageRecord[]> {
  const entries = JSON.parse(await readFile(await regular(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new OrchestrationError('InvalidInput', 'not an image archive: it has neither oci-layout nor manifest.json');
  })) as DockerSaveEntry[];
  const records: ImageRecord[] = [];
  for (const entry of entries) {
    const configFile = await regular(dir, entry.Config);
    const config = JSON.parse(await readFile(configFile, 'utf8')) as ImageConfigFile;
    const configDigest = await store.putBlobFile(configFile);
    const layers: Descriptor[] = [];
    for (const l of entry.Layers) {
      const file = await regular(dir, l);
      const size = (await lstat(file)).size;
      layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: await store.putBlobFile(file), size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: (await lstat(store.blobPath(configDigest))).size },
      layers,
    };
    const digest = await store.putBlob(Buffer.from(JSON.stringify(manifest)));
    const tags = entry.RepoTags?.length ? entry.RepoTags : [undefined];
    for (const tag of tags) records.push(await recordFor(store, nameFor(tag, options, digest), digest, configDigest, layers, config));
  }
  return records;
}

async function recordFor(store: FsImageStore, ref: string, digest: string, configDigest: string, layers: Descriptor[], config: ImageConfigFile): Promise<ImageRecord> {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) throw new OrchestrationError('InvalidInput', `image ${ref}: ${layers.length} layers but ${diffIds.length} diff ids in its config`);
  for (let i = 0; i < layers.length; i++) await store.unpackLayer(layers[i].digest, diffIds[i]);
  return {
    ref,
    digest,
    configDigest,
    layers: layers.map((l) => l.digest),
    size: layers.reduce((s, l) => s + (l.size ?? 0), 0),
    config: config.config ?? {},
    createdAt: new Date().toISOString(),
  };
}

/** A full reference from the archive wins; a bare tag goes under `options.name` (or `localhost/imported`). */
function nameFor(name: string | undefined, options: ImportOptions, digest: string): string {
  if (name && (name.includes('/') || name.includes(':')) && !/^[\w][\w.-]*$/.test(name)) return canonicalImageRef(name);
  if (options.name) return canonicalImageRef(options.name.includes(':') || !name ? options.name : `${options.name}:${name}`);
  if (name) return canonicalImageRef(`localhost/imported:${name}`);
  return canonicalImageRef(`localhost/imported@${digest}`);
}

/** `rel` inside `dir`, which must be a regular file (not a symlink out of the archive). */
async function regular(dir: string, rel: string): Promise<string> {
  const path = join(dir, safeRelative(rel));
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile()) throw new OrchestrationError('InvalidInput', `archive entry "${rel}" is missing or not a regular file`);
  return path;
}

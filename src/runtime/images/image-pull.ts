import { readFile } from 'node:fs/promises';
import { INDEX_TYPES, MANIFEST_TYPES, pickPlatform, hostPlatform, type ImageConfigFile, type ImageIndex, type ImageManifest, type ImageRecord } from './image-types.js';
import { isDigest } from './digest.js';
import type { FsImageStore } from './image-store.js';
import { ImagePullError } from './pull-error.js';
import { parseImageRef } from './reference.js';
import { RegistryClient, type RegistryAuth } from './registry-client.js';

export interface PullProgress {
  phase: string;
  message: string;
  done?: number;
  total?: number;
}

export interface PullOptions {
  onProgress?: (p: PullProgress) => void;
  /** Overrides the store's configured credentials for this registry. */
  auth?: RegistryAuth;
  signal?: AbortSignal;
}

const LAYER_CONCURRENCY = 3;
const PROGRESS_EVERY_BYTES = 1 << 20;

/**
 * Fetches `canonical` into the store: manifest (a multi-platform index resolved to this machine),
 * config and layers, each checked against its digest, layers unpacked (and their diff ids checked).
 * Blobs already present are not fetched again.
 */
export async function pullImage(store: FsImageStore, canonical: string, options: PullOptions): Promise<ImageRecord> {
  const ref = parseImageRef(canonical);
  const config = store.registries[ref.registry] ?? {};
  const client = new RegistryClient(ref.registry, ref.repository, { ...config, auth: options.auth ?? config.auth }, store.log, options.signal);
  const report = (p: PullProgress) => options.onProgress?.(p);
  await store.prepare();

  report({ phase: 'resolve', message: `resolving ${canonical}` });
  let m = await client.manifest(ref.digest ?? ref.tag ?? 'latest', [...INDEX_TYPES, ...MANIFEST_TYPES]);
  if (ref.digest && m.digest !== ref.digest) throw new ImagePullError('corrupt', `manifest of ${canonical} has digest ${m.digest}`);
  let parsed = parseJson<ImageIndex & ImageManifest>(m.body, canonical);
  const mediaType = parsed.mediaType ?? m.mediaType;
  if (INDEX_TYPES.includes(mediaType) || Array.isArray(parsed.manifests)) {
    await store.putBlob(m.body, m.digest);
    const platform = hostPlatform();
    const chosen = pickPlatform(parsed, platform);
    if (!chosen) throw new ImagePullError('not found', `${canonical} has no image for ${platform.os}/${platform.architecture}`);
    if (!isDigest(chosen.digest)) throw new ImagePullError('unsupported', `${canonical}: manifest digest ${chosen.digest} is not sha256`);
    m = await client.manifest(chosen.digest, MANIFEST_TYPES);
    if (m.digest !== chosen.digest) throw new ImagePullError('corrupt', `manifest ${chosen.digest} arrived with digest ${m.digest}`);
    parsed = parseJson<ImageIndex & ImageManifest>(m.body, canonical);
  }
  if (!parsed.config || !Array.isArray(parsed.layers)) throw new ImagePullError('unsupported', `${canonical}: not an image manifest (media type ${mediaType || 'unknown'})`);
  const manifest = parsed as ImageManifest;
  for (const d of [manifest.config, ...manifest.layers]) {
    if (!isDigest(d.digest)) throw new ImagePullError('unsupported', `${canonical}: blob digest ${d.digest} is not sha256`);
  }
  await store.putBlob(m.body, m.digest);

  if (!store.hasBlob(manifest.config.digest)) await client.blob(manifest.config.digest, manifest.config.size, store.blobPath(manifest.config.digest), () => {});
  const imageConfig = parseJson<ImageConfigFile>(await readBlob(store, manifest.config.digest), canonical);
  const diffIds = imageConfig.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw new ImagePullError('corrupt', `${canonical}: ${manifest.layers.length} layers but ${diffIds.length} diff ids in its config`);

  const total = manifest.layers.reduce((s, l) => s + (l.size ?? 0), 0);
  let done = 0;
  let reported = 0;
  const onBytes = (n: number) => {
    done += n;
    if (done - reported >= PROGRESS_EVERY_BYTES) {
      reported = done;
      report({ phase: 'download', message: `${canonical}: ${mb(done)} of ${mb(total)}`, done, total });
    }
  };
  const queue = manifest.layers.map((l, i) => ({ l, i }));
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { l, i } = job;
      if (store.hasBlob(l.digest)) onBytes(l.size ?? 0);
      else await client.blob(l.digest, l.size, store.blobPath(l.digest), onBytes);
      await store.unpackLayer(l.digest, diffIds[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, queue.length) }, worker));
  report({ phase: 'done', message: `${canonical}: pulled ${m.digest}`, done: total, total });

  const record: ImageRecord = {
    ref: canonical,
    digest: m.digest,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => l.digest),
    size: total,
    config: imageConfig.config ?? {},
    createdAt: new Date().toISOString(),
  };
  await store.commit(record);
  return record;
}

async function readBlob(store: FsImageStore, digest: string): Promise<Buffer> {
  return readFile(store.blobPath(digest));
}

function parseJson<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new ImagePullError('corrupt', `${what}: the registry sent a manifest that is not JSON`);
  }
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

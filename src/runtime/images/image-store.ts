import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OrchestrationError } from '../../types/errors.js';
import type { Logger } from '../../types/logger.js';
import { digestHex, newHash } from './digest.js';
import type { ImageRecord } from './image-types.js';
import { pullImage, type PullOptions } from './image-pull.js';
import { importArchive, type ImportOptions } from './archive-import.js';
import { canonicalImageRef } from './reference.js';
import type { RegistryConfig } from './registry-client.js';
import { unpackTarFile } from './safe-untar.js';

/**
 * The node's local images, content-addressed (the OCI image-layout idea): blobs under
 * `blobs/sha256/HEX`, each layer unpacked once under `layers/HEX` (keyed by its blob digest) for
 * every container's overlayfs root to share, and `images.json` naming images by canonical reference.
 * All methods may be called concurrently; pulls of one reference and unpacks of one layer are shared.
 */
export interface ImageStore {
  pull(ref: string, options?: PullOptions): Promise<ImageRecord>;
  /** An OCI image layout tar or a `docker save` tar; returns the images it named. */
  importArchive(path: string, options?: ImportOptions): Promise<ImageRecord[]>;
  list(): Promise<ImageRecord[]>;
  /** Refused (Conflict) while a container uses the image; NotFound when absent. */
  remove(ref: string): Promise<void>;
  /** The stored image for a reference (`busybox` = `docker.io/library/busybox:latest`) or manifest digest. */
  resolve(ref: string): Promise<ImageRecord | undefined>;
  /** Unpacked layers of an image, bottom first. */
  layers(image: ImageRecord): Promise<UnpackedLayer[]>;
  /** A check `remove` asks first: returns why the image is in use, or undefined. */
  addRemovalGuard(guard: (image: ImageRecord) => Promise<string | undefined>): void;
}

export interface UnpackedLayer {
  digest: string;
  dir: string;
  diffId: string;
  opaqueDirs: string[];
  whiteouts: string[];
}

export interface ImageStoreOptions {
  /** Directory the store owns. */
  root: string;
  logger: Logger;
  /** Per registry host (`host:port`): CA, scheme, credentials. */
  registries?: Record<string, RegistryConfig>;
}

export function createImageStore(options: ImageStoreOptions): ImageStore {
  return new FsImageStore(options);
}

export class FsImageStore implements ImageStore {
  readonly root: string;
  readonly log: Logger;
  readonly registries: Record<string, RegistryConfig>;
  private index: ImageRecord[] | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly pulling = new Map<string, Promise<ImageRecord>>();
  private readonly unpacking = new Map<string, Promise<UnpackedLayer>>();
  /** Layers known to be unpacked: content-addressed, so they change only by being removed (below). */
  private readonly unpacked = new Map<string, UnpackedLayer>();
  private readonly guards: Array<(image: ImageRecord) => Promise<string | undefined>> = [];

  constructor(options: ImageStoreOptions) {
    this.root = options.root;
    this.log = options.logger.child({ component: 'image-store' });
    this.registries = options.registries ?? {};
  }

  pull(ref: string, options: PullOptions = {}): Promise<ImageRecord> {
    const canonical = canonicalImageRef(ref);
    const running = this.pulling.get(canonical);
    if (running) return running;
    const p = pullImage(this, canonical, options).finally(() => this.pulling.delete(canonical));
    this.pulling.set(canonical, p);
    return p;
  }

  importArchive(path: string, options: ImportOptions = {}): Promise<ImageRecord[]> {
    return importArchive(this, path, options);
  }

  async list(): Promise<ImageRecord[]> {
    return [...(await this.load())];
  }

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    const images = await this.load();
    if (/^sha256:[a-f0-9]{64}$/.test(ref)) return images.find((i) => i.digest === ref);
    const canonical = canonicalImageRef(ref);
    return images.find((i) => i.ref === canonical);
  }

  addRemovalGuard(guard: (image: ImageRecord) => Promise<string | undefined>): void {
    this.guards.push(guard);
  }

  async remove(ref: string): Promise<void> {
    const image = await this.resolve(ref);
    if (!image) throw OrchestrationError.notFound('image', ref);
    for (const guard of this.guards) {
      const why = await guard(image);
      if (why) throw OrchestrationError.conflict(`image ${image.ref} is in use: ${why}`);
    }
    await this.update((images) => images.filter((i) => i.ref !== image.ref));
    const kept = new Set((await this.load()).flatMap((i) => [i.digest, i.configDigest, ...i.layers]));
    for (const d of [image.digest, image.configDigest, ...image.layers]) {
      if (kept.has(d)) continue;
      this.unpacked.delete(d);
      await rm(this.blobPath(d), { force: true });
      await rm(this.layerDir(d), { recursive: true, force: true });
      await rm(`${this.layerDir(d)}.json`, { force: true });
    }
    this.log.info({ image: image.ref }, 'image removed');
  }

  async layers(image: ImageRecord): Promise<UnpackedLayer[]> {
    return Promise.all(image.layers.map((d) => this.unpackLayer(d)));
  }

  // ---- used by image-pull and archive-import ----

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  layerDir(digest: string): string {
    return join(this.root, 'layers', digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, randomBytes(8).toString('hex'));
  }

  async prepare(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'layers'), { recursive: true });
  }

  /** Moves a file into the blob store under its own digest (checked against `expected` when given). */
  async putBlobFile(file: string, expected?: string): Promise<string> {
    const hash = newHash();
    await pipeline(createReadStream(file), async function* (src) {
      for await (const chunk of src) hash.update(chunk as Buffer);
    });
    const digest = `sha256:${hash.digest('hex')}`;
    if (expected && digest !== expected) throw new OrchestrationError('InvalidInput', `blob claims ${expected} but its content is ${digest}`);
    await this.prepare();
    await rename(file, this.blobPath(digest));
    return digest;
  }

  async putBlob(data: Buffer, expected?: string): Promise<string> {
    const tmp = await this.tempPath();
    await writeFile(tmp, data, { mode: 0o600 });
    return this.putBlobFile(tmp, expected);
  }

  /** Unpacks a layer blob once; concurrent callers share the work. `diffId`, when given, is checked. */
  unpackLayer(digest: string, diffId?: string): Promise<UnpackedLayer> {
    const known = this.unpacked.get(digest);
    if (known) return Promise.resolve(known);
    const running = this.unpacking.get(digest);
    if (running) return running;
    const p = this.doUnpack(digest, diffId)
      .then((layer) => (this.unpacked.set(digest, layer), layer))
      .finally(() => this.unpacking.delete(digest));
    this.unpacking.set(digest, p);
    return p;
  }

  private async doUnpack(digest: string, diffId?: string): Promise<UnpackedLayer> {
    const dir = this.layerDir(digest);
    const meta = `${dir}.json`;
    const done = await readFile(meta, 'utf8').then((s) => JSON.parse(s) as Omit<UnpackedLayer, 'dir' | 'digest'>, () => undefined);
    if (done) return { digest, dir, ...done };
    await rm(dir, { recursive: true, force: true });
    const tmp = await this.tempPath();
    try {
      const result = await unpackTarFile(this.blobPath(digest), tmp, { layer: true });
      if (diffId && result.diffId !== diffId) throw new OrchestrationError('RuntimeError', `ImagePullError: corrupt: layer ${digest} unpacks to ${result.diffId}, the image config says ${diffId}`);
      await rename(tmp, dir);
      await writeFile(meta, JSON.stringify(result));
      this.log.debug({ layer: digest, whiteouts: result.whiteouts.length }, 'layer unpacked');
      return { digest, dir, ...result };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async commit(record: ImageRecord): Promise<void> {
    await this.update((images) => [...images.filter((i) => i.ref !== record.ref), record]);
    this.log.info({ image: record.ref, digest: record.digest }, 'image stored');
  }

  async blobSize(digest: string): Promise<number> {
    return (await stat(this.blobPath(digest))).size;
  }

  private async load(): Promise<ImageRecord[]> {
    if (!this.index) {
      const text = await readFile(join(this.root, 'images.json'), 'utf8').catch(() => undefined);
      this.index = text ? (JSON.parse(text) as { images: ImageRecord[] }).images : [];
    }
    return this.index;
  }

  private update(change: (images: ImageRecord[]) => ImageRecord[]): Promise<void> {
    const next = this.writing.then(async () => {
      const images = change(await this.load());
      await mkdir(this.root, { recursive: true });
      const tmp = join(this.root, `images.json.${process.pid}.tmp`);
      await writeFile(tmp, JSON.stringify({ images }, null, 1));
      await rename(tmp, join(this.root, 'images.json'));
      this.index = images;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, open, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { OrchestrationError } from '../../types/errors.js';
import { newHash } from './digest.js';

const run = promisify(execFile);

/**
 * Unpacks a tar (plain or gzip, sniffed) into `dest` so that no entry can write outside it: an
 * absolute name or a `..` component refuses the whole archive, as does an entry (or a hard link's
 * target) whose path goes through a symlink; symlinks themselves are created as they are, never
 * followed. With `layer`, OCI whiteouts become overlayfs ones (a 0/0 character device for
 * `.wh.NAME`, the `trusted.overlay.opaque` xattr for `.wh..wh..opq`) and are also listed in the
 * result, so a copy-based root can apply them without overlayfs.
 *
 * The caller unpacks into a fresh directory and renames it into place only on success.
 */
export interface UnpackResult {
  /** sha256 of the uncompressed tar: the layer's diff id. */
  diffId: string;
  opaqueDirs: string[];
  whiteouts: string[];
}

export class UnsafeArchiveError extends OrchestrationError {
  constructor(message: string) {
    super('InvalidInput', `refusing archive: ${message}`);
  }
}

export async function unpackTarFile(file: string, dest: string, options: { layer: boolean }): Promise<UnpackResult> {
  const gzip = await isGzip(file);
  const source: Readable = gzip ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  return unpackTarStream(source, dest, options);
}

export async function unpackTarStream(source: Readable, dest: string, options: { layer: boolean }): Promise<UnpackResult> {
  await mkdir(dest, { recursive: true });
  const hash = newHash();
  const tee = new PassThrough();
  tee.on('data', (c: Buffer) => hash.update(c));
  const extract = tar.extract();
  const feeding = pipeline(source, tee, extract).catch((err: unknown) => err);
  const result: UnpackResult = { diffId: '', opaqueDirs: [], whiteouts: [] };
  const unpacker = new Unpacker(dest, options.layer, result);
  try {
    for await (const entry of extract) {
      await unpacker.entry(entry.header, entry as unknown as Readable);
    }
  } catch (err) {
    extract.destroy();
    source.destroy();
    await feeding;
    throw err;
  }
  const fed = await feeding;
  if (fed instanceof Error) throw new UnsafeArchiveError(`cannot read tar: ${fed.message}`);
  result.diffId = `sha256:${hash.digest('hex')}`;
  return result;
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** `a/./b/` → `a/b`; refuses absolute names and `..`. '' is the archive's root. */
export function safeRelative(name: string): string {
  if (name.includes('\0')) throw new UnsafeArchiveError('entry name contains a NUL byte');
  if (name.startsWith('/')) throw new UnsafeArchiveError(`entry "${name}" has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(`entry "${name}" climbs out with ".."`);
  return parts.join('/');
}

class Unpacker {
  /** Directories (relative) already checked to be real directories, not symlinks. */
  private readonly realDirs = new Set<string>(['']);

  constructor(private readonly dest: string, private readonly layer: boolean, private readonly result: UnpackResult) {}

  async entry(header: tar.Header, body: Readable): Promise<void> {
    const rel = safeRelative(header.name);
    const base = basename(rel);
    if (rel === '') return drain(body);
    await this.ensureParents(rel);
    const target = join(this.dest, rel);
    if (this.layer && base.startsWith('.wh.')) {
      await drain(body);
      return this.whiteout(rel, base);
    }
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory': {
        const st = await lstat(target).catch(() => undefined);
        if (st && !st.isDirectory()) await this.removeExisting(rel);
        if (!st || !st.isDirectory()) await mkdir(target, { mode: 0o755 });
        await lchown(target, header.uid ?? 0, header.gid ?? 0);
        await chmod(target, mode);
        this.realDirs.add(rel);
        return drain(body);
      }
      case 'file':
      case 'contiguous-file': {
        await this.removeExisting(rel);
        const fh = await open(target, 'wx', 0o600);
        try {
          await pipeline(body, createWriteStream('', { fd: fh.fd, autoClose: false }));
          if (header.mtime) await fh.utimes(header.mtime, header.mtime);
        } finally {
          await fh.close();
        }
        await lchown(target, header.uid ?? 0, header.gid ?? 0);
        await chmod(target, mode);
        return;
      }
      case 'symlink':
        await drain(body);
        await this.removeExisting(rel);
        await symlink(header.linkname ?? '', target);
        await lchown(target, header.uid ?? 0, header.gid ?? 0);
        return;
      case 'link': {
        await drain(body);
        const linkRel = safeRelative(header.linkname ?? '');
        if (linkRel === '') throw new UnsafeArchiveError(`hard link "${header.name}" points at the root`);
        await this.ensureParents(linkRel, false);
        const from = join(this.dest, linkRel);
        const st = await lstat(from).catch(() => undefined);
        if (!st || st.isDirectory()) throw new UnsafeArchiveError(`hard link "${header.name}" points at "${header.linkname}", which is not a file of this archive`);
        await this.removeExisting(rel);
        await link(from, target);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await drain(body);
        await this.removeExisting(rel);
        const kind = header.type === 'fifo' ? ['p'] : [header.type === 'block-device' ? 'b' : 'c', String(header.devmajor ?? 0), String(header.devminor ?? 0)];
        await run('mknod', ['-m', mode.toString(8), target, ...kind]);
        await lchown(target, header.uid ?? 0, header.gid ?? 0);
        return;
      }
      default:
        return drain(body);
    }
  }

  private async whiteout(rel: string, base: string): Promise<void> {
    const parentRel = dirname(rel) === '.' ? '' : dirname(rel);
    const parent = join(this.dest, parentRel);
    if (base === '.wh..wh..opq') {
      await mkdir(parent, { recursive: true });
      await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', parent]);
      this.result.opaqueDirs.push(parentRel);
      return;
    }
    const name = base.slice('.wh.'.length);
    if (name === '' || name === '.' || name === '..') throw new UnsafeArchiveError(`whiteout "${rel}" names nothing`);
    const hiddenRel = parentRel ? `${parentRel}/${name}` : name;
    await this.removeExisting(hiddenRel);
    await run('mknod', [join(this.dest, hiddenRel), 'c', '0', '0']);
    this.result.whiteouts.push(hiddenRel);
  }

  /** Every parent of `rel` must be a real directory inside dest; missing ones are created. */
  private async ensureParents(rel: string, create = true): Promise<void> {
    const parts = rel.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = prefix ? `${prefix}/${parts[i]}` : parts[i];
      if (this.realDirs.has(prefix)) continue;
      const p = join(this.dest, prefix);
      const st = await lstat(p).catch(() => undefined);
      if (!st) {
        if (!create) throw new UnsafeArchiveError(`"${rel}" is not in this archive`);
        await mkdir(p, { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw new UnsafeArchiveError(`entry "${rel}" goes through the symlink "${prefix}"`);
      } else if (!st.isDirectory()) {
        throw new UnsafeArchiveError(`entry "${rel}" is under "${prefix}", which is not a directory`);
      }
      this.realDirs.add(prefix);
    }
  }

  private async removeExisting(rel: string): Promise<void> {
    const target = join(this.dest, rel);
    const st = await lstat(target).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      await rm(target, { recursive: true, force: true });
      for (const d of this.realDirs) if (d === rel || d.startsWith(`${rel}/`)) this.realDirs.delete(d);
    } else {
      await rm(target, { force: true });
    }
  }
}

function drain(body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on('end', resolve).on('error', reject);
    body.resume();
  });
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Builds a small OCI image from Debian's busybox-static: one gzip layer with /bin/busybox, a symlink
 * per applet, /etc/passwd and /etc/group, /tmp and /www. Written as an OCI image layout directory
 * (`oci:DIR:TAG` for skopeo) and as an OCI archive tar.
 */
export const BUSYBOX = '/bin/busybox';

export interface BuiltImage {
  layoutDir: string;
  archive: string;
  tag: string;
  manifestDigest: string;
  /** An OCI layout whose tag names an image index: this machine's manifest, and one for s390x beside it. */
  multiPlatformLayoutDir: string;
}

export async function buildBusyboxImage(dir: string, tag = 'latest'): Promise<BuiltImage> {
  const layer = gzipSync(await tarOf(busyboxEntries()));
  const diffId = sha(await tarOf(busyboxEntries()));
  const config = Buffer.from(JSON.stringify({
    architecture: ociArch(),
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
  }));
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  const layoutDir = join(dir, 'busybox-oci');
  mkdirSync(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [layer, config, manifest]) writeFileSync(join(layoutDir, 'blobs', 'sha256', sha(blob).slice(7)), blob);
  writeFileSync(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layoutDir, 'index.json'), JSON.stringify(index));
  const multiPlatformLayoutDir = writeMultiPlatformLayout(dir, tag, layer, diffId, manifest);
  const archive = join(dir, 'busybox-oci.tar');
  writeFileSync(archive, await tarOf([
    { name: 'oci-layout', data: readFileSync(join(layoutDir, 'oci-layout')) },
    { name: 'index.json', data: readFileSync(join(layoutDir, 'index.json')) },
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...[layer, config, manifest].map((b) => ({ name: `blobs/sha256/${sha(b).slice(7)}`, data: b })),
  ]));
  return { layoutDir, archive, tag, manifestDigest: sha(manifest), multiPlatformLayoutDir };
}

function writeMultiPlatformLayout(dir: string, tag: string, layer: Buffer, diffId: string, manifest: Buffer): string {
  const otherConfig = Buffer.from(JSON.stringify({ architecture: 's390x', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const other = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(otherConfig), size: otherConfig.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
  }));
  const inner = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(other), size: other.length, platform: { os: 'linux', architecture: 's390x' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, platform: { os: 'linux', architecture: ociArch() } },
    ],
  }));
  const out = join(dir, 'busybox-oci-multi');
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
  const config = readFileSync(join(dir, 'busybox-oci', 'blobs', 'sha256', (JSON.parse(manifest.toString()) as { config: { digest: string } }).config.digest.slice(7)));
  for (const blob of [layer, config, manifest, otherConfig, other, inner]) writeFileSync(join(out, 'blobs', 'sha256', sha(blob).slice(7)), blob);
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(out, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha(inner), size: inner.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return out;
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: Buffer;
  linkname?: string;
  mode?: number;
}

/** A tar of the given entries, in order (tests also use it to build hostile archives). */
export function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => void chunks.push(c as Buffer)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
  const mtime = new Date(0);
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), uid: 0, gid: 0, mtime, linkname: e.linkname };
    if (type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

function busyboxEntries(): TarEntry[] {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...applets.map((a) => ({ name: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') },
    { name: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'www/', type: 'directory' },
    { name: 'www/index.html', data: Buffer.from('hello from busybox\n') },
  ];
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function ociArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}

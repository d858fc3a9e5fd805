import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageStore, type ImageStore } from '../../src/runtime/images/index.js';
import { silentLogger } from '../../src/types/logger.js';
import { buildBusyboxImage, tarOf, type BuiltImage } from '../support/busybox-image.js';
import { pushWithSkopeo, startRegistry, type RegistryHandle } from '../support/registry.js';
import { systemSkip } from '../support/system.js';

const skip = systemSkip('OCI image store', ['root', { bin: 'docker-registry' }, { bin: 'skopeo' }, { bin: 'openssl' }, { bin: 'setfattr' }]);

describe.skipIf(skip)('image store over a real registry', () => {
  let work: string;
  let image: BuiltImage;
  let plain: RegistryHandle;
  let secured: RegistryHandle;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'orch-images-'));
    image = await buildBusyboxImage(work, '1.0');
    [plain, secured] = await Promise.all([startRegistry(), startRegistry({ tls: true, users: { alice: 's3cret' } })]);
    await pushWithSkopeo(image.layoutDir, '1.0', `${plain.host}/tools/busybox:1.0`);
    await pushWithSkopeo(image.multiPlatformLayoutDir, '1.0', `${plain.host}/tools/multi:1.0`, { all: true });
    await pushWithSkopeo(image.layoutDir, '1.0', `${secured.host}/private/busybox:1.0`, { certDir: secured.certDir, creds: 'alice:s3cret' });
  });

  afterAll(async () => {
    await plain?.stop();
    await secured?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const store = (name: string, extra: Parameters<typeof createImageStore>[0]['registries'] = {}): ImageStore =>
    createImageStore({ root: join(work, name), logger: silentLogger, registries: extra });

  it('pulls an image anonymously over HTTP, verifying and unpacking its layer once, with progress', async () => {
    const images = store('anon');
    const phases: string[] = [];
    const record = await images.pull(`${plain.host}/tools/busybox:1.0`, { onProgress: (p) => phases.push(p.phase) });
    expect(record.digest).toBe(image.manifestDigest);
    expect(phases).toContain('done');
    const [layer] = await images.layers(record);
    expect((await lstat(join(layer.dir, 'bin/busybox'))).isFile()).toBe(true);
    expect(await readlink(join(layer.dir, 'bin/sh'))).toBe('busybox');
    expect((await images.resolve(`${plain.host}/tools/busybox:1.0`))?.digest).toBe(record.digest);
    expect((await images.list()).map((i) => i.ref)).toEqual([`${plain.host}/tools/busybox:1.0`]);
  });

  it('resolves a multi-platform image to this machine\'s manifest', async () => {
    const served = await fetch(`http://${plain.host}/v2/tools/multi/manifests/1.0`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(((await served.json()) as { manifests: unknown[] }).manifests).toHaveLength(2);
    const record = await store('multi').pull(`${plain.host}/tools/multi:1.0`);
    expect(record.digest).toBe(image.manifestDigest);
  });

  it('pulls over HTTPS with a bearer token from the registry\'s token service', async () => {
    const images = store('token', { [secured.host]: { ca: secured.ca, auth: { username: 'alice', password: 's3cret' } } });
    const record = await images.pull(`${secured.host}/private/busybox:1.0`);
    expect(record.digest).toBe(image.manifestDigest);
  });

  it('reports wrong credentials as unauthorized, a missing tag as not found, a dead port as unreachable', async () => {
    const wrong = store('wrong', { [secured.host]: { ca: secured.ca, auth: { username: 'alice', password: 'nope' } } });
    await expect(wrong.pull(`${secured.host}/private/busybox:1.0`)).rejects.toThrow(/^ImagePullError: unauthorized/);
    await expect(store('missing').pull(`${plain.host}/tools/busybox:9.9`)).rejects.toThrow(/^ImagePullError: not found/);
    await expect(store('dead').pull('127.0.0.1:1/tools/busybox:1.0')).rejects.toThrow(/^ImagePullError: unreachable/);
  });

  it('imports an OCI archive and removes images, freeing their blobs and layers', async () => {
    const images = store('import');
    const [record] = await images.importArchive(image.archive, { name: 'localhost/busybox' });
    expect(record.ref).toBe('localhost/busybox:1.0');
    const [layer] = await images.layers(record);
    expect(existsSync(join(layer.dir, 'bin/busybox'))).toBe(true);
    await images.remove('localhost/busybox:1.0');
    expect(await images.list()).toEqual([]);
    expect(existsSync(layer.dir)).toBe(false);
    expect(readdirSync(join(work, 'import', 'blobs', 'sha256'))).toEqual([]);
  });

  it('imports a docker-save tarball under its RepoTags', async () => {
    const layerTar = await tarOf([{ name: 'hello.txt', data: Buffer.from('hi\n') }]);
    const { createHash } = await import('node:crypto');
    const diffId = `sha256:${createHash('sha256').update(layerTar).digest('hex')}`;
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
    const archive = join(work, 'docker-save.tar');
    writeFileSync(archive, await tarOf([
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['example/hello:2'], Layers: ['abc/layer.tar'] }])) },
      { name: 'cfg.json', data: config },
      { name: 'abc/layer.tar', data: layerTar },
    ]));
    const images = store('docker-save');
    const [record] = await images.importArchive(archive);
    expect(record.ref).toBe('docker.io/example/hello:2');
    expect(record.config.Cmd).toEqual(['/hello']);
    const [layer] = await images.layers(record);
    expect(await readFile(join(layer.dir, 'hello.txt'), 'utf8')).toBe('hi\n');
  });

  it.each([
    ['a ../ entry', [{ name: '../escaped.txt', data: Buffer.from('x') }]],
    ['an absolute path', [{ name: '/tmp/escaped.txt', data: Buffer.from('x') }]],
    ['a file written through a symlink', [{ name: 'link', type: 'symlink' as const, linkname: '/tmp' }, { name: 'link/escaped.txt', data: Buffer.from('x') }]],
    ['a hard link to a file outside', [{ name: 'hard', type: 'link' as const, linkname: '../../../etc/passwd' }]],
  ])('refuses an archive with %s and writes nothing outside the store', async (_what, entries) => {
    const marker = `escaped-${Math.random().toString(36).slice(2)}.txt`;
    const named = entries.map((e) => ({ ...e, name: e.name.replace('escaped.txt', marker) }));
    const archive = join(work, `evil-${marker}.tar`);
    writeFileSync(archive, await tarOf(named));
    const images = store(`evil-${marker}`);
    await expect(images.importArchive(archive)).rejects.toThrow(/refusing archive/);
    expect(existsSync(join('/tmp', marker))).toBe(false);
    expect(existsSync(join(work, marker))).toBe(false);
    expect(await images.list()).toEqual([]);
  });
});

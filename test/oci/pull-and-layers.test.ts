import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageStore, type ImageStore } from '../../src/runtime/images/index.js';
import { createOciRuntime } from '../../src/runtime/oci/index.js';
import type { ContainerConfig } from '../../src/types/container.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { silentLogger } from '../../src/types/logger.js';
import { buildBusyboxImage, BUSYBOX, tarOf } from '../support/busybox-image.js';
import { pushWithSkopeo, startRegistry, type RegistryHandle } from '../support/registry.js';
import { systemSkip } from '../support/system.js';
import { ociRequirements } from './oci-fixture.js';

const skip = systemSkip('oci runtime with registry and layered images', [...ociRequirements, { bin: 'docker-registry' }, { bin: 'skopeo' }]);
const NODE = 'node-1';

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe.skipIf(skip)('containers from pulled and layered images', () => {
  let work: string;
  let registry: RegistryHandle;
  let images: ImageStore;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'orch-oci-pull-'));
    const built = await buildBusyboxImage(work, '1.0');
    registry = await startRegistry();
    await pushWithSkopeo(built.layoutDir, '1.0', `${registry.host}/tools/busybox:1.0`);
    images = createImageStore({ root: join(work, 'images'), logger: silentLogger });
  });

  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs `command` to completion in a fresh container and returns what it printed. */
  async function output(runtimeDir: string, image: string, command: string[], overlay = true): Promise<string> {
    const runtime = createOciRuntime({ dataDir: join(work, runtimeDir), logger: silentLogger, images, overlay });
    await runtime.initNode(NODE);
    const id = `c-${Math.random().toString(36).slice(2, 8)}`;
    let wake = () => {};
    runtime.onExit!(() => wake());
    await runtime.createContainer(NODE, id, { name: 'main', image, command } as ContainerConfig, { labels: {} });
    // The exit event, with a slow look now and then in case a loaded machine delays it.
    while ((await runtime.getContainerStatus(NODE, id)).state !== 'Stopped') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = await readAll(await runtime.logs(NODE, id, {}));
    await runtime.removeContainer(NODE, id);
    await runtime.close!();
    return out;
  }

  it('pulls a missing image while creating the container, reporting progress, then runs it', async () => {
    const runtime = createOciRuntime({ dataDir: join(work, 'pull'), logger: silentLogger, images });
    await runtime.initNode(NODE);
    const phases: string[] = [];
    const ref = `${registry.host}/tools/busybox:1.0`;
    expect(await images.resolve(ref)).toBeUndefined();
    await runtime.createContainer(NODE, 'pulled', { name: 'main', image: ref, command: ['sleep', '100'] } as ContainerConfig, { labels: {}, onProgress: (p) => phases.push(p.phase) });
    expect(phases[0]).toBe('ImagePulling');
    expect(phases).toContain('done');
    expect((await runtime.getContainerStatus(NODE, 'pulled')).state).toBe('Running');
    await runtime.removeContainer(NODE, 'pulled');
    await runtime.close!();
  });

  it('fails to create a container whose image cannot be pulled with RuntimeError "ImagePullError: not found"', async () => {
    const runtime = createOciRuntime({ dataDir: join(work, 'pull-missing'), logger: silentLogger, images });
    const err = await runtime.createContainer(NODE, 'nope', { name: 'main', image: `${registry.host}/tools/nothing:1`, command: ['true'] } as ContainerConfig, { labels: {} }).catch((e: unknown) => e);
    expect(isOrchestrationError(err, 'RuntimeError')).toBe(true);
    expect((err as Error).message).toMatch(/^ImagePullError: not found/);
    expect(await runtime.listContainers(NODE)).toEqual([]);
    await runtime.close!();
  });

  it.each([['an overlayfs root', true], ['a copied root (no overlayfs)', false]])('honours whiteouts and opaque directories of upper layers in %s', async (_what, overlay) => {
    const bottom = await tarOf([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
      { name: 'bin/ls', type: 'symlink', linkname: 'busybox' },
      { name: 'a/', type: 'directory' },
      { name: 'a/removed', data: Buffer.from('1') },
      { name: 'a/kept', data: Buffer.from('2') },
      { name: 'd/', type: 'directory' },
      { name: 'd/hidden', data: Buffer.from('3') },
    ]);
    const top = await tarOf([
      { name: 'a/.wh.removed', data: Buffer.alloc(0) },
      { name: 'd/', type: 'directory' },
      { name: 'd/.wh..wh..opq', data: Buffer.alloc(0) },
      { name: 'd/fresh', data: Buffer.from('4') },
    ]);
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [sha(bottom), sha(top)] } }));
    const archive = join(work, `layered-${overlay}.tar`);
    writeFileSync(archive, await tarOf([
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['localhost/layered:1'], Layers: ['1/layer.tar', '2/layer.tar'] }])) },
      { name: 'c.json', data: config },
      { name: '1/layer.tar', data: bottom },
      { name: '2/layer.tar', data: top },
    ]));
    await images.importArchive(archive);
    expect(await output(`layers-${overlay}`, 'localhost/layered:1', ['ls', '/a', '/d'], overlay)).toBe('/a:\nkept\n\n/d:\nfresh\n');
  });
});

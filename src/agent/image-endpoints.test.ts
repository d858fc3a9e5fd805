import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeImages } from '../api/context.js';
import { HttpGateway } from '../api/http-gateway.js';
import { isOrchestrationError, OrchestrationError } from '../types/errors.js';
import { silentLogger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import type { Agent } from './agent.js';
import { AgentServer } from './agent-server.js';

/**
 * HttpGateway.images against a real AgentServer on loopback, the node's store being a fake: what
 * the API's image routes get for a remote node. The control plane is a stub that answers whoami.
 */
const ADMIN = 'admin-token';

/** A store whose pulls report progress and then wait for `finishPull`, so a test sees the progress arrive first. */
function fakeStore() {
  const images = new Map([['docker.io/library/busybox:latest', 'sha256:b0']]);
  let finish: () => void = () => {};
  const state = { imported: [] as Buffer[], pullSignal: undefined as AbortSignal | undefined };
  const store: NodeImages = {
    list: async () => [...images].map(([ref, digest]) => ({ ref, digest, size: 1, createdAt: '2026-01-01T00:00:00.000Z' })),
    pull: async (ref, { onProgress, signal }) => {
      if (ref.includes('missing')) throw new OrchestrationError('RuntimeError', `ImagePullError: not found: ${ref}`);
      state.pullSignal = signal;
      onProgress?.({ phase: 'manifest', message: `resolving ${ref}` });
      onProgress?.({ phase: 'layer', message: 'layer sha256:aa', done: 1, total: 2 });
      await new Promise<void>((resolve) => (finish = resolve));
      images.set(ref, 'sha256:p1');
      return { ref, digest: 'sha256:p1' };
    },
    importArchive: async (path) => {
      const bytes = readFileSync(path);
      state.imported.push(bytes);
      images.set('imported:latest', `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      return [{ ref: 'imported:latest', digest: images.get('imported:latest')! }];
    },
    remove: async (ref) => {
      if (ref.includes('in-use')) throw OrchestrationError.conflict(`image ${ref} is used by container c1`);
      if (!images.delete(ref)) throw OrchestrationError.notFound('image', ref);
    },
  };
  return { store, state, finishPull: () => finish() };
}

async function serve(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a remote node\'s images through HttpGateway and the agent server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-image-endpoints-'));
  const fake = fakeStore();
  let controlPlane: { url: string; server: http.Server };
  const servers: AgentServer[] = [];
  let node: Node;
  let storeless: Node;

  beforeAll(async () => {
    controlPlane = await serve((req, res) => {
      const admin = req.headers.authorization === `Bearer ${ADMIN}`;
      res.writeHead(admin ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(admin ? { kind: 'admin' } : { error: { code: 'Unauthorized', message: 'invalid token' } }));
    });
    const start = async (images: NodeImages | undefined, name: string) => {
      const server = new AgentServer({ images } as Agent, controlPlane.url, silentLogger);
      servers.push(server);
      return { id: name, name, address: await server.listen('127.0.0.1', 0) } as Node;
    };
    node = await start(fake.store, 'remote');
    storeless = await start(undefined, 'plain');
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    controlPlane.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const images = (n: Node = node, token = ADMIN) => new HttpGateway(token).images(n);

  it('lists the node\'s images', async () => {
    expect((await images().list()).map((i) => i.ref)).toContain('docker.io/library/busybox:latest');
  });

  it('passes pull progress on as it happens, then resolves with the image', async () => {
    const seen: string[] = [];
    const pulled = images().pull('registry.local/app:1', {
      onProgress: (p) => {
        seen.push(p.message);
        if (seen.length === 2) fake.finishPull();
      },
    });
    expect(await pulled).toEqual({ ref: 'registry.local/app:1', digest: 'sha256:p1' });
    expect(seen).toEqual(['resolving registry.local/app:1', 'layer sha256:aa']);
  });

  it('aborts the pull on the node when the caller gives up', async () => {
    const abort = new AbortController();
    const pulled = images().pull('registry.local/slow:1', { signal: abort.signal, onProgress: () => abort.abort() });
    await expect(pulled).rejects.toThrow();
    await expect.poll(() => fake.state.pullSignal?.aborted).toBe(true);
  });

  it('fails a pull with the node\'s error code and message', async () => {
    await expect(images().pull('registry.local/missing:1', {})).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError') && e.message === 'ImagePullError: not found: registry.local/missing:1');
  });

  it('sends an archive to the node byte for byte', async () => {
    const archive = join(dir, 'image.tar');
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    writeFileSync(archive, bytes);
    const [imported] = await images().importArchive(archive);
    expect(imported.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(fake.state.imported.at(-1)!.equals(bytes)).toBe(true);
  });

  it('removes an image whose reference has slashes and a port, and keeps the store\'s error codes', async () => {
    await images().pull('127.0.0.1:5000/team/app:2', { onProgress: (p) => p.total && fake.finishPull() });
    await images().remove('127.0.0.1:5000/team/app:2');
    expect((await images().list()).map((i) => i.ref)).not.toContain('127.0.0.1:5000/team/app:2');
    await expect(images().remove('127.0.0.1:5000/team/app:2')).rejects.toSatisfy((e) => isOrchestrationError(e, 'NotFound'));
    await expect(images().remove('in-use:1')).rejects.toSatisfy((e) => isOrchestrationError(e, 'Conflict'));
  });

  it('refuses a token that is not the admin\'s', async () => {
    await expect(images(node, 'agent-token').list()).rejects.toSatisfy((e) => isOrchestrationError(e, 'Unauthorized'));
  });

  it('says so when the node\'s runtime keeps no images', async () => {
    await expect(images(storeless).list()).rejects.toSatisfy((e) => isOrchestrationError(e, 'InvalidInput') && /only the OCI runtime/.test(e.message));
  });
});

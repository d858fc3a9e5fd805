import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { OrchestrationError } from '../../types/errors.js';
import { requireAdmin } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';

type NodeParams = { id: string };

/** A node's images: list, pull (progress as NDJSON), import an archive (the request body), remove. */
export function imageRoutes(r: RouteRegistry, ctx: ApiContext): void {
  const storeOf = async (ref: string) => {
    const node = await ctx.store.requireNode(ref);
    if (!ctx.gateway.images) throw new OrchestrationError('InvalidInput', 'this control plane cannot reach image stores');
    return { node, images: ctx.gateway.images(node) };
  };

  r.add({ method: 'GET', url: '/api/v1/nodes/:id/images', tag: 'images', summary: 'Images stored on a node', response: { status: 200, description: '{ items }' } }, async (req, _reply, p) => {
    requireAdmin(p);
    const { images } = await storeOf((req.params as NodeParams).id);
    return { items: await images.list() };
  });

  r.add(
    { method: 'POST', url: '/api/v1/nodes/:id/images/pull', tag: 'images', summary: 'Pull an image to a node; streams NDJSON progress, then {"image": …} or {"error": …}', response: { status: 200, description: 'NDJSON' }, streaming: 'application/x-ndjson' },
    async (req, reply, p) => {
      requireAdmin(p);
      const ref = (req.body as { ref?: unknown } | null)?.ref;
      if (typeof ref !== 'string' || ref.length === 0 || ref.length > 255) throw OrchestrationError.invalidInput([{ path: 'ref', message: 'must be an image reference' }], 'pull request');
      const { images } = await storeOf((req.params as NodeParams).id);
      const abort = new AbortController();
      req.raw.on('close', () => abort.abort());
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
      try {
        const image = await images.pull(ref, { signal: abort.signal, onProgress: (pr) => reply.raw.write(JSON.stringify({ progress: pr }) + '\n') });
        reply.raw.end(JSON.stringify({ image }) + '\n');
      } catch (err) {
        reply.raw.end(JSON.stringify({ error: { code: (err as OrchestrationError).code ?? 'RuntimeError', message: (err as Error).message } }) + '\n');
      }
    },
  );

  r.add(
    { method: 'POST', url: '/api/v1/nodes/:id/images/import', tag: 'images', summary: 'Import an OCI-layout or docker-save tar (the request body, application/x-tar)', response: { status: 201, description: '{ items }' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      const { images } = await storeOf((req.params as NodeParams).id);
      const dir = await mkdtemp(join(tmpdir(), 'orch-import-'));
      try {
        const file = join(dir, 'image.tar');
        await pipeline(req.body as Readable, createWriteStream(file));
        return { items: await images.importArchive(file) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  r.add({ method: 'DELETE', url: '/api/v1/nodes/:id/images/*', tag: 'images', summary: 'Remove an image from a node (refused while a container uses it)', response: { status: 200, description: '{ removed }' } }, async (req, _reply, p) => {
    requireAdmin(p);
    const ref = decodeURIComponent((req.params as { '*': string })['*']);
    const { images } = await storeOf((req.params as NodeParams).id);
    await images.remove(ref);
    return { removed: ref };
  });
}

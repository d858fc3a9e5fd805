import type { Readable } from 'node:stream';
import { OrchestrationError } from '../../types/errors.js';
import { requireAdmin } from '../auth.js';
import type { ApiContext } from '../context.js';
import { importUpload, pullRefOf, servePull } from '../image-transfer.js';
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
      const ref = pullRefOf(req.body);
      const { images } = await storeOf((req.params as NodeParams).id);
      reply.hijack();
      await servePull(images, ref, reply.raw);
    },
  );

  r.add(
    { method: 'POST', url: '/api/v1/nodes/:id/images/import', tag: 'images', summary: 'Import an OCI-layout or docker-save tar (the request body, application/x-tar)', response: { status: 201, description: '{ items }' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      const { images } = await storeOf((req.params as NodeParams).id);
      return { items: await importUpload(images, req.body as Readable) };
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

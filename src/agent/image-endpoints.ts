import type http from 'node:http';
import type { NodeImages } from '../api/context.js';
import { importUpload, pullRefOf, servePull } from '../api/image-transfer.js';
import { OrchestrationError } from '../types/errors.js';

/**
 * The agent server's image endpoints: the API's per-node image routes, served on the node for
 * HttpGateway.images. `GET /v1/images`, `POST /v1/images/pull` (`{"ref"}`; NDJSON progress),
 * `POST /v1/images/import` (a tar body), `DELETE /v1/images/REF`. The caller has authorized the
 * request; resolves false when it is not one of these, so the caller may route it elsewhere.
 */
export async function serveImageRequest(images: NodeImages | undefined, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
  if (path !== '/v1/images' && !path.startsWith('/v1/images/')) return false;
  if (!images) throw new OrchestrationError('InvalidInput', 'this node keeps no images: only the OCI runtime has an image store');
  const route = `${req.method} ${path}`;
  if (route === 'GET /v1/images') return answer(res, 200, { items: await images.list() });
  if (route === 'POST /v1/images/import') return answer(res, 201, { items: await importUpload(images, req) });
  if (route === 'POST /v1/images/pull') {
    await servePull(images, pullRefOf(await jsonBody(req)), res);
    return true;
  }
  const removed = /^DELETE \/v1\/images\/([^/]+)$/.exec(route);
  if (!removed) return false;
  const ref = decodeURIComponent(removed[1]);
  await images.remove(ref);
  return answer(res, 200, { removed: ref });
}

function answer(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return true;
}

/** A small JSON request body (the pull's reference). */
async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) if ((text += chunk).length > 64 * 1024) throw new OrchestrationError('TooLarge', 'request body is larger than 64 KiB');
  try {
    return JSON.parse(text);
  } catch {
    throw OrchestrationError.invalidInput([{ path: '', message: 'malformed JSON' }]);
  }
}

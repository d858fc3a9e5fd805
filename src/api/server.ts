import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { OrchestrationError } from '../types/errors.js';
import type { ApiContext } from './context.js';
import { errorHandler } from './errors.js';
import { RouteRegistry } from './route-registry.js';
import { eventRoutes } from './routes/events.js';
import { imageRoutes } from './routes/images.js';
import { instanceRoutes } from './routes/instances.js';
import { nodeRoutes } from './routes/nodes.js';
import { systemRoutes } from './routes/system.js';
import { workloadRoutes } from './routes/workloads.js';

export interface ApiServerOptions {
  /** Largest request body accepted (default 1 MiB; a workload is a few KiB). */
  bodyLimit?: number;
}

/** Builds the HTTP API over a context. Listening is the caller's business (tests use `inject`). */
export function buildApiServer(ctx: ApiContext, options: ApiServerOptions = {}): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 1024 * 1024, logger: false, return503OnClosing: true, forceCloseConnections: true });

  // YAML bodies are welcome too (`curl --data-binary @web.yaml -H 'content-type: application/yaml'`).
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string));
    } catch (err) {
      done(OrchestrationError.invalidInput([{ path: '', message: `malformed YAML: ${(err as Error).message}` }]), undefined);
    }
  });

  // Image archives arrive as a raw stream; the route spools them to a temp file, with its own limit.
  app.addContentTypeParser('application/x-tar', { bodyLimit: 8 * 1024 * 1024 * 1024 }, (_req, payload, done) => done(null, payload));

  app.setErrorHandler(errorHandler(ctx.log));
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(new OrchestrationError('NotFound', `no route ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.inc('orchestrator_http_requests_total', 'HTTP requests served', { method: req.method, route, code: String(reply.statusCode) });
    ctx.metrics.observe('orchestrator_http_request_duration_seconds', 'HTTP request latency', { method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });

  // Interactive exec is a WebSocket (exec-channel.ts); at most 1 MiB per message, as for bodies.
  void app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  const registry = new RouteRegistry(app, (req) => ctx.auth.authenticate(req.headers.authorization));
  let openapiDoc: object | undefined;
  const openapi = () => (openapiDoc ??= registry.openapi({ version: ctx.info.version }));
  workloadRoutes(registry, ctx);
  nodeRoutes(registry, ctx);
  instanceRoutes(registry, ctx);
  eventRoutes(registry, ctx);
  systemRoutes(registry, ctx, openapi);
  imageRoutes(registry, ctx);
  return app;
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { OrchestrationError } from '../types/errors.js';
import type { Principal } from './auth.js';

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path syntax: `/api/v1/workloads/:id`. */
  url: string;
  summary: string;
  tag: string;
  /** The schema the handler validates its body with; the same one goes into /openapi.json. */
  body?: z.ZodType;
  query?: Record<string, { type: 'string' | 'integer' | 'boolean'; description: string }>;
  /** Success status and what it returns. */
  response: { status: number; description: string; schema?: z.ZodType | object };
  /** Served without a token (only /health). */
  public?: boolean;
  /**
   * Node agents may call it too (their handlers then check the node). Everything else needs the
   * admin token: an agent's token reads and reports for its own node and nothing more.
   */
  agents?: boolean;
  /** The response is a stream (logs, exec, watch). */
  streaming?: string;
  /** Served as a WebSocket (see `addWebSocket`): the response is the 101 upgrade, with no body. */
  websocket?: boolean;
}

export type Handler = (req: FastifyRequest, reply: FastifyReply, principal: Principal) => Promise<unknown>;

/**
 * Every route is declared once, with its schemas: Fastify serves it, and /openapi.json is generated
 * from the same declarations, so the documentation cannot drift from what is validated.
 */
export class RouteRegistry {
  readonly defs: RouteDef[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly authenticate: (req: FastifyRequest) => Promise<Principal>,
  ) {}

  add(def: RouteDef, handler: Handler): void {
    this.defs.push(def);
    this.app.route({
      method: def.method,
      url: def.url,
      handler: async (req, reply) => {
        const principal = await this.principal(def, req);
        const result = await handler(req, reply, principal);
        if (reply.sent || def.streaming) return reply;
        reply.status(def.response.status);
        return result;
      },
    });
  }

  /**
   * A GET route upgraded to a WebSocket (needs @fastify/websocket registered first). `prepare` runs
   * before the upgrade, so a refused token or a failed lookup is an ordinary HTTP error; `connect`
   * gets the socket and what `prepare` returned.
   */
  addWebSocket<T>(def: Omit<RouteDef, 'method' | 'websocket'>, prepare: (req: FastifyRequest, principal: Principal) => Promise<T>, connect: (socket: WebSocket, prepared: T) => void): void {
    const full: RouteDef = { ...def, method: 'GET', websocket: true };
    this.defs.push(full);
    const prepared = new WeakMap<FastifyRequest, T>();
    // In a child context, so that it is declared once the plugin (registered before) has loaded.
    void this.app.register(async (scope) => {
      scope.route({
        method: 'GET',
        url: def.url,
        preHandler: async (req) => {
          const principal = await this.principal(full, req);
          if (!req.ws) throw new OrchestrationError('InvalidInput', `${def.url} speaks WebSocket: send a request with "Upgrade: websocket"`);
          prepared.set(req, await prepare(req, principal));
        },
        handler: async () => undefined,
        wsHandler: (socket, req) => connect(socket, prepared.get(req)!),
      });
    });
  }

  private async principal(def: RouteDef, req: FastifyRequest): Promise<Principal> {
    const principal = def.public ? ({ kind: 'admin' } as Principal) : await this.authenticate(req);
    if (principal.kind === 'agent' && !def.agents) throw new OrchestrationError('Forbidden', `the agent token of node ${principal.nodeId} may not call ${def.method} ${def.url}`);
    return principal;
  }

  openapi(info: { version: string }): object {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const d of this.defs) {
      const path = d.url.replace(/:(\w+)/g, '{$1}');
      const params = [...d.url.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, description: m[1] === 'id' ? 'id or name' : m[1] }));
      const query = Object.entries(d.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: false, schema: { type: q.type }, description: q.description }));
      const responseSchema = d.response.schema instanceof z.ZodType ? toSchema(d.response.schema) : d.response.schema;
      (paths[path] ??= {})[d.method.toLowerCase()] = {
        summary: d.summary,
        tags: [d.tag],
        security: d.public ? [] : [{ bearer: [] }],
        parameters: [...params, ...query],
        ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(d.body) }, 'application/yaml': { schema: toSchema(d.body) } } } } : {}),
        responses: {
          [d.response.status]: {
            description: d.response.description,
            ...(d.websocket ? {} : { content: { [d.streaming ?? 'application/json']: responseSchema ? { schema: responseSchema } : {} } }),
          },
          default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'orchestrator API', version: info.version, description: 'Workloads, nodes, instances and events of an orchestrator cluster.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                properties: {
                  code: { type: 'string', enum: ['InvalidInput', 'NotFound', 'Conflict', 'SchedulingError', 'RuntimeError', 'ClusterError', 'StateError', 'Unauthorized', 'Forbidden', 'TooLarge', 'RateLimited', 'Unavailable', 'Gone', 'Internal'] },
                  message: { type: 'string' },
                  details: {},
                },
              },
            },
          },
        },
      },
      paths,
    };
  }
}

function toSchema(schema: z.ZodType): object {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as object;
}

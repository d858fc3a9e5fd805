import { z } from 'zod';
import { OrchestrationError } from '../../types/errors.js';
import { nodeRegistrationSchema, nodeUpdateSchema } from '../../types/node.js';
import { requireAdmin, requireNodeAccess } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';
import { matchesSelector, parseSelector } from '../selector.js';
import { streamWatch } from '../sse.js';
import { revisionParam } from './params.js';

type IdParams = { id: string };

export function nodeRoutes(r: RouteRegistry, ctx: ApiContext): void {
  r.add(
    {
      method: 'GET', url: '/api/v1/nodes', tag: 'nodes', summary: 'List nodes (or watch them)',
      query: { labelSelector: { type: 'string', description: 'k=v,… filter' }, watch: { type: 'boolean', description: 'stream changes' }, sinceRevision: { type: 'integer', description: 'with watch' } },
      response: { status: 200, description: '{ items, revision }' },
    },
    async (req, reply) => {
      const q = req.query as { labelSelector?: string; watch?: string; sinceRevision?: string };
      const selector = parseSelector(q.labelSelector);
      if (q.watch === 'true') {
        streamWatch(req, reply, ctx.store.kv, ctx.store.nodes, { sinceRevision: revisionParam(q.sinceRevision), filter: (n) => matchesSelector(selector, n.labels) });
        return;
      }
      const { items, revision } = await ctx.store.nodes.listAll();
      return { items: items.filter((n) => matchesSelector(selector, n.labels)).sort((a, b) => a.name.localeCompare(b.name)), revision };
    },
  );

  r.add({ method: 'GET', url: '/api/v1/nodes/:id', tag: 'nodes', summary: 'Get a node by id or name', response: { status: 200, description: 'the node' } }, async (req) =>
    ctx.store.requireNode((req.params as IdParams).id),
  );

  r.add(
    { agents: true, method: 'POST', url: '/api/v1/nodes', tag: 'nodes', summary: 'Register a node (agents)', body: nodeRegistrationSchema, response: { status: 200, description: 'the node' } },
    async (req, _reply, p) => {
      const body = req.body as { id?: string; name?: string };
      requireNodeAccess(p, body?.id ?? body?.name);
      return ctx.nodes.register(req.body);
    },
  );

  const heartbeat = z.strictObject({ nodeIds: z.array(z.string()).min(1).max(10_000) });
  r.add(
    { agents: true, method: 'POST', url: '/api/v1/nodes/heartbeat', tag: 'nodes', summary: 'Agents: the listed nodes are alive', body: heartbeat, response: { status: 200, description: '{ unknown: ids not registered }' } },
    async (req, _reply, p) => {
      const body = req.body as { nodeIds?: unknown };
      if (!body || !Array.isArray(body.nodeIds) || body.nodeIds.some((x) => typeof x !== 'string')) throw OrchestrationError.invalidInput([{ path: 'nodeIds', message: 'must be a list of node ids' }], 'heartbeat');
      for (const id of body.nodeIds as string[]) requireNodeAccess(p, id);
      return ctx.nodes.heartbeat(body.nodeIds as string[]);
    },
  );

  r.add(
    { method: 'PATCH', url: '/api/v1/nodes/:id', tag: 'nodes', summary: 'Change labels, taints or cordon', body: nodeUpdateSchema, response: { status: 200, description: 'the node' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      return ctx.nodes.update((req.params as IdParams).id, req.body);
    },
  );

  for (const [verb, schedulable, draining, summary] of [
    ['cordon', false, false, 'Mark unschedulable: running instances stay, no new ones come'],
    ['uncordon', true, false, 'Mark schedulable again'],
    ['drain', false, true, 'Cordon, then move every instance elsewhere, each new copy Running before the old one stops'],
  ] as const) {
    r.add({ method: 'POST', url: `/api/v1/nodes/:id/${verb}`, tag: 'nodes', summary, response: { status: 200, description: 'the node' } }, async (req, _reply, p) => {
      requireAdmin(p);
      const node = await ctx.nodes.setSchedulable((req.params as IdParams).id, schedulable, draining);
      ctx.events.normal({ kind: 'Node', id: node.id, name: node.name }, verb === 'cordon' ? 'Cordoned' : verb === 'uncordon' ? 'Uncordoned' : 'Draining', verb === 'drain' ? 'node cordoned; moving its instances away' : `node ${verb}ed`, { nodeId: node.id });
      return node;
    });
  }

  r.add({ method: 'DELETE', url: '/api/v1/nodes/:id', tag: 'nodes', summary: 'Forget a node (its instances are replaced elsewhere)', response: { status: 200, description: 'the removed node' } }, async (req, _reply, p) => {
    requireAdmin(p);
    return ctx.nodes.remove((req.params as IdParams).id);
  });

  r.add(
    { method: 'POST', url: '/api/v1/nodes/:id/token', tag: 'nodes', summary: 'Create a token for the node\'s agent (it can act only for that node)', response: { status: 201, description: '{ token }' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      const id = (req.params as IdParams).id;
      return { nodeId: id, token: await ctx.auth.createAgentToken(id) };
    },
  );
}

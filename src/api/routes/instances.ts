import { OrchestrationError } from '../../types/errors.js';
import { byWorkloadThenAge, type InstanceStatusReport } from '../../types/instance.js';
import { parseExecStreamQuery, serveExecSession } from '../exec-channel.js';
import { writeExecFrames } from '../exec-frames.js';
import { requireAdmin, requireNodeAccess } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';
import { streamWatch } from '../sse.js';
import { limitParam, revisionParam } from './params.js';

type IdParams = { id: string };

/** Largest page of a paged list. */
const MAX_PAGE = 10_000;

export function instanceRoutes(r: RouteRegistry, ctx: ApiContext): void {
  r.add(
    {
      agents: true, method: 'GET', url: '/api/v1/instances', tag: 'instances', summary: 'List instances (or watch them)',
      query: {
        workload: { type: 'string', description: 'only this workload\'s (id or name)' },
        node: { type: 'string', description: 'only those bound to this node (id)' },
        watch: { type: 'boolean', description: 'stream changes' },
        sinceRevision: { type: 'integer', description: 'with watch' },
        limit: { type: 'integer', description: `a page of at most this many (1-${MAX_PAGE}), in name order; the answer's continue token asks for the next` },
        continue: { type: 'string', description: 'the continue token of the previous page' },
      },
      response: { status: 200, description: '{ items, revision, continue? }' },
    },
    async (req, reply, p) => {
      const q = req.query as { workload?: string; node?: string; watch?: string; sinceRevision?: string; limit?: string; continue?: string };
      if (p.kind === 'agent') requireNodeAccess(p, q.node);
      const workload = q.workload ? await ctx.store.requireWorkload(q.workload) : undefined;
      const workloadId = workload?.workloadId;
      const workloadName = workload?.name;
      const filter = (i: { workloadId: string; nodeId: string }) => (!workloadId || i.workloadId === workloadId) && (!q.node || i.nodeId === q.node);
      if (q.watch === 'true') {
        streamWatch(req, reply, ctx.store.kv, ctx.store.instances, { sinceRevision: revisionParam(q.sinceRevision), filter });
        return;
      }
      // An instance is named after its workload: one workload's are read from their name's range only.
      const range = workloadName ? { prefix: `${workloadName}-` } : {};
      if (q.limit !== undefined || q.continue !== undefined) {
        // Pages in key order, each read at its own revision: a client that then watches from the first
        // page's revision sees every change made while it paged (some twice, as upserts).
        const limit = limitParam(q.limit, { fallback: 500, min: 1, max: MAX_PAGE });
        const page = await ctx.store.instances.list({ ...range, limit, after: q.continue ? ctx.store.instances.key(q.continue) : undefined });
        const last = page.items[page.items.length - 1];
        return { items: page.items.filter(filter), revision: page.revision, ...(page.more && last ? { continue: last.instanceId } : {}) };
      }
      const { items, revision } = await ctx.store.instances.listAll(range);
      return { items: items.filter(filter).sort(byWorkloadThenAge), revision };
    },
  );

  r.add({ agents: true, method: 'GET', url: '/api/v1/instances/:id', tag: 'instances', summary: 'Get an instance', response: { status: 200, description: 'the instance' } }, async (req, _reply, p) => {
    const i = await ctx.store.requireInstance((req.params as IdParams).id);
    if (p.kind === 'agent') requireNodeAccess(p, i.nodeId);
    return i;
  });

  r.add(
    { agents: true, method: 'POST', url: '/api/v1/instances/status', tag: 'instances', summary: 'Agents: report instance status (batched)', response: { status: 200, description: '{ applied, unknown }' } },
    async (req, _reply, p) => {
      const body = req.body as { reports?: InstanceStatusReport[] } | null;
      if (!body || !Array.isArray(body.reports)) throw OrchestrationError.invalidInput([{ path: 'reports', message: 'must be a list of status reports' }], 'status report');
      return ctx.instances.report(body.reports, p);
    },
  );

  r.add(
    { agents: true, method: 'DELETE', url: '/api/v1/instances/:id', tag: 'instances', summary: 'Agents: the instance\'s containers are gone, remove its record', response: { status: 200, description: '{ removed }' } },
    async (req, _reply, p) => {
      const id = (req.params as IdParams).id;
      await ctx.instances.finalize(id, p);
      return { removed: id };
    },
  );

  r.add(
    {
      method: 'GET', url: '/api/v1/instances/:id/logs', tag: 'instances', summary: 'The container\'s output',
      query: { container: { type: 'string', description: 'which container (default: the first)' }, tail: { type: 'integer', description: 'last N lines' }, follow: { type: 'boolean', description: 'keep streaming' } },
      response: { status: 200, description: 'text' }, streaming: 'text/plain',
    },
    async (req, reply, p) => {
      requireAdmin(p);
      const q = req.query as { container?: string; tail?: string; follow?: string };
      const { instance, node, container } = await locate(ctx, (req.params as IdParams).id, q.container);
      if (q.tail !== undefined && !/^\d+$/.test(q.tail)) throw OrchestrationError.invalidInput([{ path: 'tail', message: 'must be a non-negative integer' }], 'query');
      const abort = new AbortController();
      req.raw.on('close', () => abort.abort());
      const stream = await ctx.gateway.logs(node, instance, container, { tail: q.tail === undefined ? undefined : Number(q.tail), follow: q.follow === 'true', signal: abort.signal });
      reply.header('content-type', 'text/plain; charset=utf-8');
      return reply.send(stream);
    },
  );

  r.add(
    {
      method: 'POST', url: '/api/v1/instances/:id/exec', tag: 'instances', summary: 'Run a command in a container; streams NDJSON frames {stream, data(base64)} then {exitCode}',
      response: { status: 200, description: 'NDJSON frames' }, streaming: 'application/x-ndjson',
    },
    async (req, reply, p) => {
      requireAdmin(p);
      const body = req.body as { command?: unknown; container?: string; tty?: boolean } | null;
      if (!body || !Array.isArray(body.command) || body.command.length === 0 || body.command.some((c) => typeof c !== 'string')) {
        throw OrchestrationError.invalidInput([{ path: 'command', message: 'must be a non-empty list of strings' }], 'exec request');
      }
      const { instance, node, container } = await locate(ctx, (req.params as IdParams).id, body.container);
      const abort = new AbortController();
      const session = await ctx.gateway.exec(node, instance, container, body.command as string[], { tty: false, signal: abort.signal });
      // No input comes this way: the command reads EOF, as it would from /dev/null.
      session.stdin?.end();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      req.raw.on('close', () => abort.abort());
      await writeExecFrames(session, res);
    },
  );

  r.addWebSocket(
    {
      url: '/api/v1/instances/:id/exec/stream', tag: 'instances',
      summary: 'Run a command interactively (exec -it): a WebSocket of binary messages whose first byte is the channel — 0 stdin (empty: EOF), 1 stdout, 2 stderr, 3 exit {"exitCode"}, 4 resize {"cols","rows"}',
      query: {
        command: { type: 'string', description: 'the command and its arguments, one parameter each, in order' },
        container: { type: 'string', description: 'which container (default: the first)' },
        tty: { type: 'boolean', description: 'give the command a terminal' },
        stdin: { type: 'boolean', description: 'pass input on channel 0 (otherwise the command reads EOF)' },
      },
      response: { status: 101, description: 'switched to the WebSocket' },
    },
    async (req, p) => {
      requireAdmin(p);
      const q = parseExecStreamQuery(new URLSearchParams(req.url.split('?')[1] ?? ''));
      const { instance, node, container } = await locate(ctx, (req.params as IdParams).id, q.container);
      const abort = new AbortController();
      req.raw.socket.once('close', () => abort.abort());
      return { session: await ctx.gateway.exec(node, instance, container, q.command, { tty: q.tty, signal: abort.signal }), stdin: q.stdin };
    },
    (socket, { session, stdin }) => serveExecSession(socket, session, stdin),
  );
}

async function locate(ctx: ApiContext, ref: string, containerName: string | undefined) {
  const instance = await ctx.store.requireInstance(ref);
  if (!instance.nodeId) throw new OrchestrationError('Conflict', `instance ${instance.name} is not placed on a node yet (${instance.message ?? instance.reason ?? 'Pending'})`);
  const node = await ctx.store.requireNode(instance.nodeId);
  const rev = await ctx.store.getRevision(instance.workloadId, instance.revision);
  const names = rev?.template.containers.map((c) => c.name) ?? instance.containers.map((c) => c.name);
  const container = containerName ?? names[0];
  if (!container || !names.includes(container)) {
    throw OrchestrationError.invalidInput([{ path: 'container', message: `instance ${instance.name} has no container "${containerName}" (it has: ${names.join(', ')})` }], 'request');
  }
  return { instance, node, container };
}

import { Readable } from 'node:stream';
import { backupLines } from '../../store/backup.js';
import { InstanceTally } from '../../types/instance-tally.js';
import { requireAdmin } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';

export function systemRoutes(r: RouteRegistry, ctx: ApiContext, openapi: () => object): void {
  r.add({ method: 'GET', url: '/health', tag: 'cluster', summary: 'Liveness and store health (no token needed)', public: true, response: { status: 200, description: '{ status }' } }, async (_req, reply) => {
    const storeOk = await ctx.store.kv.healthy().catch(() => false);
    reply.status(storeOk ? 200 : 503);
    return { status: storeOk ? 'ok' : 'degraded', store: { name: ctx.store.kv.name, healthy: storeOk } };
  });

  r.add({ method: 'GET', url: '/api/v1/cluster', tag: 'cluster', summary: 'Cluster overview: control plane, store, nodes, workloads, instances', response: { status: 200, description: 'cluster info' } }, async () => {
    const cached = ctx.info.summary?.();
    const [nodes, workloads, instances, replicas, revision] = await Promise.all([
      cached ? [...cached.nodes] : ctx.store.nodes.listAll().then((r) => r.items),
      cached ? cached.workloads : ctx.store.workloads.listAll().then((r) => r.items.length),
      cached ? cached.instances : ctx.store.instances.listAll().then((r) => InstanceTally.of(r.items)),
      ctx.info.replicas(),
      ctx.store.kv.revision(),
    ]);
    const nodeStatus: Record<string, number> = {};
    let readyCpuCores = 0;
    let readyMemoryMb = 0;
    for (const n of nodes) {
      nodeStatus[n.status] = (nodeStatus[n.status] ?? 0) + 1;
      if (n.status !== 'Ready') continue;
      readyCpuCores += n.allocatable.cpuCores;
      readyMemoryMb += n.allocatable.memoryMb;
    }
    return {
      version: ctx.info.version,
      startedAt: ctx.info.startedAt,
      store: { name: ctx.info.store, revision },
      leader: ctx.info.leader() ?? null,
      replicas,
      nodes: { total: nodes.length, byStatus: nodeStatus },
      workloads: { total: workloads },
      instances: { total: instances.total, byStatus: { ...instances.byStatus } },
      capacity: { readyCpuCores, readyMemoryMb, requestedCpuMillicores: instances.requested.cpuMillicores, requestedMemoryMb: instances.requested.memoryMb },
      orchestrator: ctx.info.stats?.() ?? null,
    };
  });

  r.add({ method: 'GET', url: '/api/v1/backup', tag: 'cluster', summary: 'Every object of the cluster as NDJSON (header line, then {key, value} lines)', response: { status: 200, description: 'NDJSON' }, streaming: 'application/x-ndjson' }, async (_req, reply, p) => {
    requireAdmin(p);
    reply.header('content-type', 'application/x-ndjson');
    return reply.send(Readable.from(backupLines(ctx.store.kv)));
  });

  r.add({ agents: true, method: 'GET', url: '/api/v1/whoami', tag: 'cluster', summary: 'Who the token belongs to (agents check callers with it)', response: { status: 200, description: '{ kind, nodeId? }' } }, async (_req, _reply, p) => p);

  r.add({ method: 'GET', url: '/metrics', tag: 'cluster', summary: 'Prometheus metrics', response: { status: 200, description: 'Prometheus text format' }, streaming: 'text/plain' }, async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4');
    return reply.send(ctx.metrics.render());
  });

  r.add({ method: 'GET', url: '/openapi.json', tag: 'cluster', summary: 'This API, as OpenAPI 3.1', public: true, response: { status: 200, description: 'OpenAPI document' } }, async () => openapi());

  r.add({ method: 'GET', url: '/docs', tag: 'cluster', summary: 'This API, for people', public: true, response: { status: 200, description: 'HTML' }, streaming: 'text/html' }, async (_req, reply) => {
    const doc = openapi() as { paths: Record<string, Record<string, { summary: string; tags: string[] }>> };
    const rows = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `<tr><td>${op.tags[0]}</td><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary)}</td></tr>`))
      .join('\n');
    reply.header('content-type', 'text/html; charset=utf-8');
    return reply.send(`<!doctype html><html><head><meta charset="utf-8"><title>orchestrator API</title><style>body{font-family:sans-serif;margin:2em}td{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body><h1>orchestrator API</h1><p>Send <code>Authorization: Bearer TOKEN</code> (the admin token is in the data dir, <code>admin.token</code>). Errors are <code>{"error":{"code","message","details"}}</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p><table>${rows}</table></body></html>`);
  });
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

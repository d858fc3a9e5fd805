import { Readable } from 'node:stream';
import { backupLines } from '../../store/backup.js';
import { isTerminal } from '../../types/instance.js';
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
    const cached = ctx.info.objects?.();
    const [nodeList, workloadList, instanceList, replicas, revision] = await Promise.all([
      cached ? [...cached.nodes] : ctx.store.nodes.listAll().then((r) => r.items),
      cached ? [...cached.workloads] : ctx.store.workloads.listAll().then((r) => r.items),
      cached ? [...cached.instances] : ctx.store.instances.listAll().then((r) => r.items),
      ctx.info.replicas(),
      ctx.store.kv.revision(),
    ]);
    const nodes = { items: nodeList };
    const workloads = { items: workloadList };
    const instances = { items: instanceList };
    const byStatus: Record<string, number> = {};
    for (const i of instances.items) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    const nodeStatus: Record<string, number> = {};
    for (const n of nodes.items) nodeStatus[n.status] = (nodeStatus[n.status] ?? 0) + 1;
    const cap = nodes.items.filter((n) => n.status === 'Ready').reduce((a, n) => ({ cpuCores: a.cpuCores + n.allocatable.cpuCores, memoryMb: a.memoryMb + n.allocatable.memoryMb }), { cpuCores: 0, memoryMb: 0 });
    const req = instances.items.filter((i) => i.nodeId && !isTerminal(i.status)).reduce((a, i) => ({ cpuMillicores: a.cpuMillicores + i.requests.cpuMillicores, memoryMb: a.memoryMb + i.requests.memoryMb }), { cpuMillicores: 0, memoryMb: 0 });
    return {
      version: ctx.info.version,
      startedAt: ctx.info.startedAt,
      store: { name: ctx.info.store, revision },
      leader: ctx.info.leader() ?? null,
      replicas,
      nodes: { total: nodes.items.length, byStatus: nodeStatus },
      workloads: { total: workloads.items.length },
      instances: { total: instances.items.length, byStatus },
      capacity: { readyCpuCores: cap.cpuCores, readyMemoryMb: cap.memoryMb, requestedCpuMillicores: req.cpuMillicores, requestedMemoryMb: req.memoryMb },
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

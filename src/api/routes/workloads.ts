import { z } from 'zod';
import { OrchestrationError } from '../../types/errors.js';
import { workloadSpecSchema } from '../../types/workload.js';
import { requireAdmin } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';
import { streamWatch } from '../sse.js';
import { revisionParam } from './params.js';
import { matchesSelector, parseSelector } from '../selector.js';

type IdParams = { id: string };
type ListQuery = { labelSelector?: string; watch?: string; sinceRevision?: string };

export function workloadRoutes(r: RouteRegistry, ctx: ApiContext): void {
  r.add(
    {
      method: 'GET', url: '/api/v1/workloads', tag: 'workloads', summary: 'List workloads (or watch them with ?watch=true)',
      query: {
        labelSelector: { type: 'string', description: 'k=v,k2!=v2,k3 — only workloads whose labels match' },
        watch: { type: 'boolean', description: 'stream changes as server-sent events' },
        sinceRevision: { type: 'integer', description: 'with watch: changes after this revision' },
      },
      response: { status: 200, description: '{ items, revision }' },
    },
    async (req, reply) => {
      const q = req.query as ListQuery;
      const selector = parseSelector(q.labelSelector);
      if (q.watch === 'true') {
        streamWatch(req, reply, ctx.store.kv, ctx.store.workloads, { sinceRevision: revisionParam(q.sinceRevision), filter: (w) => matchesSelector(selector, w.labels) });
        return;
      }
      const { items, revision } = await ctx.store.workloads.listAll();
      return { items: items.filter((w) => matchesSelector(selector, w.labels)).sort((a, b) => a.name.localeCompare(b.name)), revision };
    },
  );

  r.add(
    { method: 'POST', url: '/api/v1/workloads', tag: 'workloads', summary: 'Create a workload', body: workloadSpecSchema, response: { status: 201, description: 'the stored workload' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      return ctx.workloads.create(req.body);
    },
  );

  r.add(
    { method: 'GET', url: '/api/v1/workloads/:id', tag: 'workloads', summary: 'Get a workload by id or name', response: { status: 200, description: 'the workload' } },
    async (req) => ctx.store.requireWorkload((req.params as IdParams).id),
  );

  r.add(
    { method: 'PUT', url: '/api/v1/workloads/:id', tag: 'workloads', summary: 'Replace a workload spec (a changed template starts a rollout)', body: workloadSpecSchema, response: { status: 200, description: 'the updated workload' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      return ctx.workloads.update((req.params as IdParams).id, req.body);
    },
  );

  r.add(
    {
      method: 'DELETE', url: '/api/v1/workloads/:id', tag: 'workloads', summary: 'Delete a workload and, through the control plane, its instances',
      query: { resourceVersion: { type: 'string', description: 'delete only if unchanged since' } },
      response: { status: 200, description: 'the deleted workload' },
    },
    async (req, _reply, p) => {
      requireAdmin(p);
      return ctx.workloads.delete((req.params as IdParams).id, (req.query as { resourceVersion?: string }).resourceVersion);
    },
  );

  const scaleBody = z.strictObject({ replicas: z.int().min(0).max(10_000), resourceVersion: z.string().regex(/^\d+$/).optional() });
  r.add(
    { method: 'PATCH', url: '/api/v1/workloads/:id/scale', tag: 'workloads', summary: 'Set the number of replicas', body: scaleBody, response: { status: 200, description: 'the updated workload' } },
    async (req, _reply, p) => {
      requireAdmin(p);
      const body = req.body as { replicas?: unknown; resourceVersion?: unknown } | null;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw OrchestrationError.invalidInput([{ path: '', message: 'must be an object like {"replicas": 3}' }], 'scale request');
      const unknownKeys = Object.keys(body).filter((k) => k !== 'replicas' && k !== 'resourceVersion');
      if (unknownKeys.length > 0) throw OrchestrationError.invalidInput(unknownKeys.map((k) => ({ path: k, message: 'unknown field' })), 'scale request');
      if (body.resourceVersion !== undefined && (typeof body.resourceVersion !== 'string' || !/^\d+$/.test(body.resourceVersion))) {
        throw OrchestrationError.invalidInput([{ path: 'resourceVersion', message: 'must be a resourceVersion from the server' }], 'scale request');
      }
      return ctx.workloads.scale((req.params as IdParams).id, body.replicas, body.resourceVersion as string | undefined);
    },
  );

  r.add(
    { method: 'GET', url: '/api/v1/workloads/:id/revisions', tag: 'workloads', summary: 'Revisions of the instance template (rollout history)', response: { status: 200, description: '{ items }' } },
    async (req) => {
      const w = await ctx.store.requireWorkload((req.params as IdParams).id);
      return { items: await ctx.store.listRevisions(w.workloadId), current: w.templateRevision };
    },
  );

  r.add(
    { agents: true, method: 'GET', url: '/api/v1/workloads/:id/revisions/:revision', tag: 'workloads', summary: 'One revision of the instance template (agents read what to run here)', response: { status: 200, description: 'the revision' } },
    async (req) => {
      const { id, revision } = req.params as { id: string; revision: string };
      const w = await ctx.store.resolveWorkload(id);
      const workloadId = w?.workloadId ?? id;
      const rev = await ctx.store.getRevision(workloadId, Number(revision));
      if (!rev) throw OrchestrationError.notFound('revision', `${id}/${revision}`);
      return rev;
    },
  );

  r.add(
    { method: 'GET', url: '/api/v1/workloads/:id/explain', tag: 'workloads', summary: 'Per node: which filter rejects the workload, or its score', response: { status: 200, description: 'the explanation' } },
    async (req) => {
      const w = await ctx.store.requireWorkload((req.params as IdParams).id);
      if (!ctx.info.explain) throw new OrchestrationError('Unavailable', 'this replica does not run the scheduler; ask the leader');
      return ctx.info.explain(w.workloadId);
    },
  );
}

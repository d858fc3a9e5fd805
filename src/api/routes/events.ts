import { OrchestrationError } from '../../types/errors.js';
import type { ClusterEventRecord } from '../../types/event.js';
import type { ApiContext } from '../context.js';
import type { RouteRegistry } from '../route-registry.js';
import { streamWatch } from '../sse.js';
import { limitParam, revisionParam } from './params.js';

export function eventRoutes(r: RouteRegistry, ctx: ApiContext): void {
  r.add(
    {
      method: 'GET', url: '/api/v1/events', tag: 'events', summary: 'Events, newest last (or watch them)',
      query: {
        workload: { type: 'string', description: 'only events of this workload and its instances' },
        object: { type: 'string', description: 'only events of this object (id or name)' },
        limit: { type: 'integer', description: 'at most the last N (default 500)' },
        watch: { type: 'boolean', description: 'stream new events' },
        sinceRevision: { type: 'integer', description: 'with watch' },
      },
      response: { status: 200, description: '{ items, revision }' },
    },
    async (req, reply) => {
      const q = req.query as { workload?: string; object?: string; limit?: string; watch?: string; sinceRevision?: string };
      let workloadId: string | undefined;
      if (q.workload) workloadId = (await ctx.store.resolveWorkload(q.workload))?.workloadId ?? q.workload;
      const filter = (e: ClusterEventRecord) => (!workloadId || e.workloadId === workloadId || e.object.id === workloadId) && (!q.object || e.object.id === q.object || e.object.name === q.object);
      if (q.watch === 'true') {
        streamWatch(req, reply, ctx.store.kv, ctx.store.events, { sinceRevision: revisionParam(q.sinceRevision), filter });
        return;
      }
      const limit = limitParam(q.limit, { fallback: 500, min: 0 });
      const { items, revision } = await ctx.store.events.listAll();
      const matching = items.filter(filter);
      return { items: matching.slice(Math.max(0, matching.length - limit)), revision };
    },
  );

  r.add(
    { agents: true, method: 'POST', url: '/api/v1/events', tag: 'events', summary: 'Agents: record events (batched)', response: { status: 202, description: '{ accepted }' } },
    async (req, _reply, p) => {
      const body = req.body as { events?: unknown[] } | null;
      if (!body || !Array.isArray(body.events)) throw OrchestrationError.invalidInput([{ path: 'events', message: 'must be a list of events' }], 'events');
      let accepted = 0;
      for (const raw of body.events) {
        const e = raw as Partial<ClusterEventRecord>;
        if (!e || typeof e.reason !== 'string' || typeof e.message !== 'string' || !e.object || typeof e.object.id !== 'string') continue;
        const source = p.kind === 'agent' ? `agent/${p.nodeId}` : (e.source ?? 'client');
        ctx.events.record({
          type: e.type === 'Warning' ? 'Warning' : 'Normal',
          reason: e.reason.slice(0, 128),
          message: e.message.slice(0, 4096),
          object: { kind: e.object.kind ?? 'Instance', id: e.object.id, name: e.object.name ?? e.object.id },
          workloadId: e.workloadId,
          nodeId: p.kind === 'agent' ? p.nodeId : e.nodeId,
          source,
        });
        accepted++;
      }
      return { accepted };
    },
  );
}

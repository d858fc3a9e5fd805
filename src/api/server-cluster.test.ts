import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { newInstance } from '../core/instance-factory.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { ApiContext } from './context.js';
import { admin, nodeReg, testApi, web, type TestApi } from './api.test-harness.js';

let api: TestApi;
let store: ClusterStore;
let ctx: ApiContext;
let app: FastifyInstance;
let call: TestApi['call'];
let agentToken: TestApi['agentToken'];

beforeEach(() => {
  api = testApi();
  ({ store, ctx, app } = api);
  call = api.call;
  agentToken = api.agentToken;
});

afterEach(async () => {
  await api.app.close();
});

describe('nodes, instances and events', () => {
  it('registers, cordons, drains and removes a node', async () => {
    const reg = await call('POST', '/api/v1/nodes', { ...nodeReg, labels: { zone: 'a' } });
    expect(reg.json).toMatchObject({ id: 'n1', status: 'Ready', unschedulable: false });
    expect((await call('GET', '/api/v1/nodes?labelSelector=zone%3Da')).json.items).toHaveLength(1);
    expect((await call('POST', '/api/v1/nodes/n1/cordon')).json.unschedulable).toBe(true);
    expect((await call('POST', '/api/v1/nodes/n1/uncordon')).json.unschedulable).toBe(false);
    expect((await call('POST', '/api/v1/nodes/n1/drain')).json).toMatchObject({ unschedulable: true, draining: true });
    expect((await call('PATCH', '/api/v1/nodes/n1', { labels: { zone: 'b' } })).json.labels).toMatchObject({ zone: 'b' });
    expect((await call('PATCH', '/api/v1/nodes/n1', { resourceVersion: '1', labels: {} })).status).toBe(409);
    expect((await call('DELETE', '/api/v1/nodes/n1')).status).toBe(200);
    expect((await call('GET', '/api/v1/nodes/n1')).status).toBe(404);
    expect((await call('POST', '/api/v1/nodes/nope/cordon')).status).toBe(404);
  });

  it('merges an agent’s status report, refuses reports for other nodes’ instances, and finalizes only what was asked to stop', async () => {
    await call('POST', '/api/v1/nodes', nodeReg);
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const i = newInstance(w, 'n1', new Date().toISOString());
    const other = newInstance(w, 'n2', new Date().toISOString());
    await store.commit([store.instances.create(i), store.instances.create(other)]);
    const agent = await agentToken('n1');

    const report = { instanceId: i.instanceId, status: 'Running', ready: true, containers: [{ containerId: 'c1', name: 'main', state: 'Running', restartCount: 0 }] };
    const ok = await call('POST', '/api/v1/instances/status', { reports: [report, { ...report, instanceId: 'ghost' }] }, agent);
    expect(ok.json).toEqual({ applied: 1, unknown: ['ghost'] });
    const stored = (await call('GET', `/api/v1/instances/${i.instanceId}`, undefined, agent)).json;
    expect(stored).toMatchObject({ status: 'Running', ready: true, nodeId: 'n1' });
    expect(stored.readySince).toBeDefined();
    expect((await call('POST', '/api/v1/instances/status', { reports: [{ ...report, instanceId: other.instanceId }] }, agent)).status).toBe(403);
    expect((await call('GET', `/api/v1/instances/${other.instanceId}`, undefined, agent)).status).toBe(403);
    expect((await call('POST', '/api/v1/instances/status', { reports: [{ instanceId: i.instanceId, status: 'Sleeping' }] }, agent)).status).toBe(400);

    expect((await call('DELETE', `/api/v1/instances/${i.instanceId}`, undefined, agent)).status).toBe(409);
    await store.update(store.instances, i.instanceId, (x) => ({ ...x, deletionRequestedAt: new Date().toISOString() }));
    const afterAsk = await call('POST', '/api/v1/instances/status', { reports: [report] }, agent);
    expect(afterAsk.json.applied).toBe(1);
    expect((await call('GET', `/api/v1/instances/${i.instanceId}`)).json).toMatchObject({ status: 'Terminating', ready: false });
    expect((await call('DELETE', `/api/v1/instances/${i.instanceId}`, undefined, agent)).json).toEqual({ removed: i.instanceId });
    expect((await call('GET', `/api/v1/instances/${i.instanceId}`)).status).toBe(404);
    expect((await call('GET', '/api/v1/instances?workload=web')).json.items.map((x: { instanceId: string }) => x.instanceId)).toEqual([other.instanceId]);
  });

  it('lists instances a page at a time, each once, by workload too, and names a bad limit', async () => {
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const other = (await call('POST', '/api/v1/workloads', { ...web, name: 'web-api' })).json;
    const mine = Array.from({ length: 5 }, () => newInstance(w, 'n1', new Date().toISOString()));
    const theirs = Array.from({ length: 3 }, () => newInstance(other, 'n1', new Date().toISOString()));
    await store.commit([...mine, ...theirs].map((i) => store.instances.create(i)));

    const pages = async (query: string) => {
      const seen: string[][] = [];
      let token = '';
      do {
        const page = (await call('GET', `/api/v1/instances?${query}${token ? `&continue=${token}` : ''}`)).json;
        seen.push(page.items.map((i: { instanceId: string }) => i.instanceId));
        token = page.continue ?? '';
      } while (token);
      return seen;
    };
    const all = await pages('limit=3');
    expect(all.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(all.flat().sort()).toEqual([...mine, ...theirs].map((i) => i.instanceId).sort());
    // "web-" is also the start of web-api's names: the filter still keeps them apart.
    expect((await pages('limit=2&workload=web')).flat().sort()).toEqual(mine.map((i) => i.instanceId).sort());
    expect((await call('GET', '/api/v1/instances?workload=web')).json.items).toHaveLength(5);
    const bad = await call('GET', '/api/v1/instances?limit=0');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('limit');
  });

  it('serves logs through the node gateway, and 409 for an instance not yet placed', async () => {
    await call('POST', '/api/v1/nodes', nodeReg);
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const placed = newInstance(w, 'n1', new Date().toISOString());
    const unplaced = newInstance(w, '', new Date().toISOString());
    await store.commit([store.instances.create(placed), store.instances.create(unplaced)]);
    const logs = await call('GET', `/api/v1/instances/${placed.instanceId}/logs`);
    expect(logs).toMatchObject({ status: 200, text: `log of ${placed.name}/main\n` });
    expect((await call('GET', `/api/v1/instances/${placed.instanceId}/logs?container=sidecar`)).status).toBe(400);
    expect((await call('GET', `/api/v1/instances/${unplaced.instanceId}/logs`)).status).toBe(409);
  });

  it('records posted events and lists them by workload', async () => {
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const posted = await call('POST', '/api/v1/events', { events: [{ reason: 'Pulled', message: 'image pulled', object: { kind: 'Instance', id: 'web-x', name: 'web-x' }, workloadId: w.workloadId }, { bogus: true }] });
    expect(posted).toMatchObject({ status: 202, json: { accepted: 1 } });
    await ctx.events.flush();
    const listed = await call('GET', '/api/v1/events?workload=web');
    expect(listed.json.items.map((e: { reason: string }) => e.reason)).toEqual(['Pulled']);
    expect((await call('GET', '/api/v1/events?limit=x')).status).toBe(400);
  });
});

describe('system routes', () => {
  it('cluster info counts objects; metrics count requests by route and code; openapi lists the routes', async () => {
    await call('POST', '/api/v1/nodes', nodeReg);
    await call('POST', '/api/v1/workloads', web);
    await call('GET', '/api/v1/workloads', undefined, {});
    const info = await call('GET', '/api/v1/cluster');
    expect(info.json).toMatchObject({ version: '9.9.9', nodes: { total: 1, byStatus: { Ready: 1 } }, workloads: { total: 1 }, capacity: { readyCpuCores: 4 } });
    const metrics = await call('GET', '/metrics');
    expect(metrics.text).toContain('orchestrator_http_requests_total{method="POST",route="/api/v1/workloads",code="201"} 1');
    expect(metrics.text).toContain('orchestrator_http_requests_total{method="GET",route="/api/v1/workloads",code="401"} 1');
    const doc = (await call('GET', '/openapi.json', undefined, {})).json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/workloads', '/api/v1/workloads/{id}/scale', '/api/v1/nodes/{id}/drain', '/health']));
  });
});

describe('more routes', () => {
  it('exec streams stdout and stderr frames, then the exit code', async () => {
    await call('POST', '/api/v1/nodes', nodeReg);
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const i = newInstance(w, 'n1', new Date().toISOString());
    await store.commit([store.instances.create(i)]);
    const res = await app.inject({ method: 'POST', url: `/api/v1/instances/${i.instanceId}/exec`, headers: admin, payload: { command: ['echo', 'hi'] } });
    expect(res.statusCode).toBe(200);
    const frames = res.body.trim().split('\n').map((l) => JSON.parse(l));
    const text = (stream: string) => frames.filter((f) => f.stream === stream).map((f) => Buffer.from(f.data, 'base64').toString()).join('');
    expect(text('stdout')).toBe('ran echo hi\n');
    expect(text('stderr')).toBe('warn\n');
    expect(frames[frames.length - 1]).toEqual({ exitCode: 3 });
    expect((await call('POST', `/api/v1/instances/${i.instanceId}/exec`, { command: [] })).status).toBe(400);
  });

  it('explain answers 503 where this replica has no scheduler, and the explanation where it has', async () => {
    await call('POST', '/api/v1/workloads', web);
    const none = await call('GET', '/api/v1/workloads/web/explain');
    expect(none.status).toBe(503);
    expect(none.json.error.code).toBe('Unavailable');
    ctx.info.explain = async (id) => ({ workloadId: id, nodes: [] });
    expect((await call('GET', '/api/v1/workloads/web/explain')).json.nodes).toEqual([]);
    expect((await call('GET', '/api/v1/workloads/nope/explain')).status).toBe(404);
  });

  it('backup streams a header and every object as NDJSON; /docs lists the routes for people', async () => {
    await call('POST', '/api/v1/workloads', web);
    const backup = await call('GET', '/api/v1/backup');
    const lines = backup.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.slice(1).map((l) => l.key)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/registry\/workloads\//), '/registry/names/workloads/web']));
    const agent = await agentToken('n1');
    expect((await call('GET', '/api/v1/backup', undefined, agent)).status).toBe(403);
    const docs = await call('GET', '/docs', undefined, {});
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('<code>/api/v1/workloads/{id}/scale</code>');
  });
});

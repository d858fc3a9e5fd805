import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventRecorder } from '../lib/event-recorder.js';
import { ClusterStore } from '../store/cluster-store.js';
import { storeEventSink } from '../store/event-log.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { silentLogger } from '../types/logger.js';
import { Authenticator } from './auth.js';
import type { ApiContext } from './context.js';
import { InstanceService } from './instance-service.js';
import { Metrics } from './metrics.js';
import { NodeService } from './node-service.js';
import { buildApiServer } from './server.js';
import { WorkloadService } from './workload-service.js';

const ADMIN = 'admin-secret-token';
const admin = { authorization: `Bearer ${ADMIN}` };
const web = { name: 'web', replicas: 2, labels: { tier: 'front' }, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] };
const nodeReg = { id: 'n1', name: 'n1', capacity: { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 } };

let store: ClusterStore;
let ctx: ApiContext;
let app: FastifyInstance;

beforeEach(() => {
  store = new ClusterStore(new MemoryStateStore());
  ctx = {
    store,
    workloads: new WorkloadService(store),
    nodes: new NodeService(store),
    instances: new InstanceService(store),
    auth: new Authenticator(ADMIN, store),
    gateway: {
      logs: async (_n, i, c) => Readable.from([`log of ${i.name}/${c}\n`]),
      exec: async (_n, _i, _c, command) => ({
        stdout: Readable.from([Buffer.from(`ran ${command.join(' ')}\n`)]),
        stderr: Readable.from([Buffer.from('warn\n')]),
        exitCode: Promise.resolve(3),
      }),
    },
    metrics: new Metrics(),
    events: new EventRecorder(storeEventSink(store), silentLogger, 3_600_000),
    info: { version: '9.9.9', store: 'memory', startedAt: '2026-01-01T00:00:00.000Z', leader: () => ({ id: 'me' }), replicas: async () => [{ id: 'me' }] },
    log: silentLogger,
  };
  app = buildApiServer(ctx);
});

afterEach(async () => {
  await app.close();
});

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = admin) {
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  const json = res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : undefined;
  return { status: res.statusCode, json, text: res.body };
}

async function agentToken(nodeId: string): Promise<Record<string, string>> {
  const res = await call('POST', `/api/v1/nodes/${nodeId}/token`);
  expect(res.status).toBe(201);
  return { authorization: `Bearer ${res.json.token}` };
}

describe('authentication', () => {
  it('answers 401 with the error body without a token or with a wrong one, and serves /health without one', async () => {
    const none = await call('GET', '/api/v1/workloads', undefined, {});
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('Unauthorized');
    expect((await call('GET', '/api/v1/workloads', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await call('GET', '/api/v1/workloads', undefined, { authorization: 'Basic abc' })).status).toBe(401);
    const health = await call('GET', '/health', undefined, {});
    expect(health).toMatchObject({ status: 200, json: { status: 'ok', store: { name: 'memory', healthy: true } } });
  });

  it('answers 403 to an agent token on admin routes, and lets it act only for its own node', async () => {
    const agent = await agentToken('n1');
    expect((await call('GET', '/api/v1/whoami', undefined, agent)).json).toEqual({ kind: 'agent', nodeId: 'n1' });
    const create = await call('POST', '/api/v1/workloads', web, agent);
    expect(create.status).toBe(403);
    expect(create.json.error.code).toBe('Forbidden');
    expect((await call('GET', '/api/v1/workloads', undefined, agent)).status).toBe(403);
    expect((await call('POST', '/api/v1/nodes', nodeReg, agent)).status).toBe(200);
    expect((await call('POST', '/api/v1/nodes', { ...nodeReg, id: 'n2', name: 'n2' }, agent)).status).toBe(403);
    expect((await call('POST', '/api/v1/nodes/heartbeat', { nodeIds: ['n1'] }, agent)).json).toEqual({ unknown: [] });
    expect((await call('POST', '/api/v1/nodes/heartbeat', { nodeIds: ['n2'] }, agent)).status).toBe(403);
    expect((await call('GET', '/api/v1/instances?node=n2', undefined, agent)).status).toBe(403);
    expect((await call('GET', '/api/v1/instances', undefined, agent)).status).toBe(403);
    expect((await call('GET', '/api/v1/instances?node=n1', undefined, agent)).status).toBe(200);
  });
});

describe('workloads', () => {
  it('create, get by name and id, list with a label selector, revisions', async () => {
    const created = await call('POST', '/api/v1/workloads', web);
    expect(created.status).toBe(201);
    const w = created.json;
    expect(w).toMatchObject({ name: 'web', replicas: 2, generation: 1, templateRevision: 1, kind: 'service', restartPolicy: 'Always' });
    expect((await call('GET', '/api/v1/workloads/web')).json.workloadId).toBe(w.workloadId);
    expect((await call('GET', `/api/v1/workloads/${w.workloadId}`)).json.name).toBe('web');
    await call('POST', '/api/v1/workloads', { ...web, name: 'db', labels: { tier: 'back' } });
    expect((await call('GET', '/api/v1/workloads')).json.items.map((x: { name: string }) => x.name)).toEqual(['db', 'web']);
    expect((await call('GET', '/api/v1/workloads?labelSelector=tier%3Dfront')).json.items.map((x: { name: string }) => x.name)).toEqual(['web']);
    expect((await call('GET', '/api/v1/workloads?labelSelector=tier!%3Dfront')).json.items.map((x: { name: string }) => x.name)).toEqual(['db']);
    const revs = await call('GET', '/api/v1/workloads/web/revisions');
    expect(revs.json).toMatchObject({ current: 1, items: [{ revision: 1, cause: 'create' }] });
    expect((await call('GET', '/api/v1/workloads/web/revisions/1')).json.template.containers[0].image).toBe('busybox:1.36');
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'name: web\ncontainers:\n  - name: main\n    image: busybox\n';
    const res = await app.inject({ method: 'POST', url: '/api/v1/workloads', headers: { ...admin, 'content-type': 'application/yaml' }, payload: yaml });
    expect(res.statusCode).toBe(201);
    expect(res.json().replicas).toBe(1);
  });

  it('rejects invalid input with 400 naming the field, and changes nothing', async () => {
    const bad = await call('POST', '/api/v1/workloads', { ...web, replicas: -1, name: 'Not_A_Label' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('InvalidInput');
    expect(JSON.stringify(bad.json.error.details)).toContain('replicas');
    expect(JSON.stringify(bad.json.error.details)).toContain('name');
    expect((await call('GET', '/api/v1/workloads')).json.items).toEqual([]);
    const malformed = await app.inject({ method: 'POST', url: '/api/v1/workloads', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(malformed.statusCode).toBe(400);
  });

  it('answers 413 to a body over the limit and 415 to an unknown content type, changing nothing', async () => {
    await app.close();
    app = buildApiServer(ctx, { bodyLimit: 1024 });
    const big = await call('POST', '/api/v1/workloads', { ...web, labels: { note: 'x'.repeat(2000) } });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('TooLarge');
    const xml = await app.inject({ method: 'POST', url: '/api/v1/workloads', headers: { ...admin, 'content-type': 'application/xml' }, payload: '<workload/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe('InvalidInput');
    expect((await call('GET', '/api/v1/workloads')).json.items).toEqual([]);
  });

  it('answers 409 to a duplicate name and to a stale resourceVersion on PUT, scale and DELETE', async () => {
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const dup = await call('POST', '/api/v1/workloads', web);
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('Conflict');

    const put = await call('PUT', '/api/v1/workloads/web', { ...web, replicas: 5, resourceVersion: w.resourceVersion });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ replicas: 5, generation: 2, templateRevision: 1 });
    const stalePut = await call('PUT', '/api/v1/workloads/web', { ...web, replicas: 6, resourceVersion: w.resourceVersion });
    expect(stalePut.status).toBe(409);
    expect(stalePut.json.error.details.currentResourceVersion).toBe(put.json.resourceVersion);
    expect((await call('PATCH', '/api/v1/workloads/web/scale', { replicas: 1, resourceVersion: w.resourceVersion })).status).toBe(409);
    expect((await call('DELETE', `/api/v1/workloads/web?resourceVersion=${w.resourceVersion}`)).status).toBe(409);
    expect((await call('GET', '/api/v1/workloads/web')).json.replicas).toBe(5);
  });

  it('scales without a version (retrying like kubectl), rejects bad scale bodies, and a template change makes revision 2', async () => {
    await call('POST', '/api/v1/workloads', web);
    const scaled = await call('PATCH', '/api/v1/workloads/web/scale', { replicas: 7 });
    expect(scaled).toMatchObject({ status: 200, json: { replicas: 7, templateRevision: 1 } });
    expect((await call('PATCH', '/api/v1/workloads/web/scale', { replicas: 'many' })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/workloads/web/scale', { replicas: 1, extra: true })).status).toBe(400);
    const rolled = await call('PUT', '/api/v1/workloads/web', { ...web, containers: [{ name: 'main', image: 'busybox:1.37' }] });
    expect(rolled.json.templateRevision).toBe(2);
    expect((await call('GET', '/api/v1/workloads/web/revisions')).json.items.map((r: { revision: number }) => r.revision)).toEqual([1, 2]);
    const renamed = await call('PUT', '/api/v1/workloads/web', { ...web, name: 'other' });
    expect(renamed.status).toBe(400);
    expect(JSON.stringify(renamed.json.error.details)).toContain('cannot be changed');
  });

  it('deletes, after which the name is free and reads answer 404', async () => {
    await call('POST', '/api/v1/workloads', web);
    expect((await call('DELETE', '/api/v1/workloads/web')).status).toBe(200);
    const gone = await call('GET', '/api/v1/workloads/web');
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('NotFound');
    expect((await call('DELETE', '/api/v1/workloads/web')).status).toBe(404);
    expect((await call('GET', '/api/v1/workloads/web/revisions/1')).status).toBe(404);
    expect((await call('POST', '/api/v1/workloads', web)).status).toBe(201);
    expect((await call('GET', '/api/v1/nope')).status).toBe(404);
  });
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
    const { newInstance } = await import('../core/instance-factory.js');
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

  it('serves logs through the node gateway, and 409 for an instance not yet placed', async () => {
    await call('POST', '/api/v1/nodes', nodeReg);
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const { newInstance } = await import('../core/instance-factory.js');
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
    const { newInstance } = await import('../core/instance-factory.js');
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

describe('watch streams', () => {
  /** Opens an SSE watch on a real loopback socket and collects frames until `until` says stop. */
  async function watchFrames(path: string, until: (frames: Array<{ event: string; data: any }>) => boolean): Promise<Array<{ event: string; data: any }>> {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    expect(address).toContain('127.0.0.1');
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers: admin }, (res) => {
        let buf = '';
        const frames: Array<{ event: string; data: any }> = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let cut: number;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) frames.push({ event, data: JSON.parse(data) });
          }
          if (until(frames)) {
            req.destroy();
            resolve(frames);
          }
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
  }

  it('delivers PUT and DELETE frames for workloads after sinceRevision', async () => {
    const since = await store.kv.revision();
    await call('POST', '/api/v1/workloads', web);
    await call('PATCH', '/api/v1/workloads/web/scale', { replicas: 3 });
    await call('DELETE', '/api/v1/workloads/web');
    const frames = await watchFrames(`/api/v1/workloads?watch=true&sinceRevision=${since}`, (f) => f.some((x) => x.event === 'DELETE'));
    expect(frames.map((f) => `${f.event}:${f.data.name}:${f.data.replicas}`)).toEqual(['PUT:web:2', 'PUT:web:3', 'DELETE:web:3']);
  });

  it('filters instance watches by node, and a re-bind away from the node is a DELETE', async () => {
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const { newInstance } = await import('../core/instance-factory.js');
    const since = await store.kv.revision();
    const mine = newInstance(w, 'n1', new Date().toISOString());
    const theirs = newInstance(w, 'n2', new Date().toISOString());
    await store.commit([store.instances.create(mine), store.instances.create(theirs)]);
    await store.update(store.instances, mine.instanceId, (i) => ({ ...i, nodeId: 'n3' }));
    const frames = await watchFrames(`/api/v1/instances?watch=true&node=n1&sinceRevision=${since}`, (f) => f.length >= 2);
    expect(frames.map((f) => `${f.event}:${f.data.instanceId}`)).toEqual([`PUT:${mine.instanceId}`, `DELETE:${mine.instanceId}`]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { admin, nodeReg, testApi, web, type TestApi } from './api.test-harness.js';

let api: TestApi;
let app: FastifyInstance;
let call: TestApi['call'];
let agentToken: TestApi['agentToken'];

beforeEach(() => {
  api = testApi();
  ({ app } = api);
  call = api.call;
  agentToken = api.agentToken;
});

afterEach(async () => {
  await api.app.close();
});

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
    app = await api.rebuild({ bodyLimit: 1024 });
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

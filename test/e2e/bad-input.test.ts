import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, startApi, tempDir, type ApiProcess } from '../support/cluster.js';

/**
 * Bad input gets a 4xx with the documented error body, names what is wrong, and changes nothing:
 * the store's revision and every object stay as they were. The server runs without a local node so
 * that nothing else (heartbeats, events) writes meanwhile.
 */
const valid = { name: 'web', replicas: 2, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000'] }] };

function raw(url: string, method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, body: parsed });
      });
    });
    // A server refusing an oversized body answers from the Content-Length and closes the socket:
    // send the headers first and the body only if no answer came, so the answer is always read.
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (err) => setTimeout(() => (answered ? undefined : reject(err)), 500));
    if (body !== undefined && body.length > 1024 * 1024) {
      req.setHeader('content-length', Buffer.byteLength(body));
      req.flushHeaders();
      setTimeout(() => (answered ? req.destroy() : req.end(body)), 2000);
    } else req.end(body);
  });
}

describe('bad input changes nothing', () => {
  const dataDir = tempDir();
  let api: ApiProcess;
  let auth: Record<string, string>;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'none' });
    auth = { authorization: `Bearer ${api.token}` };
    const res = await raw(api.url, 'POST', '/api/v1/workloads', JSON.stringify(valid), auth);
    expect(res.status).toBe(201);
    // Let the control plane finish reacting (Pending instances, status, events) before measuring.
    let last = -1;
    for (;;) {
      const { revision } = await snapshot();
      if (revision === last) break;
      last = revision;
      await new Promise((r) => setTimeout(r, 1500));
    }
  });

  afterAll(async () => {
    await api?.kill();
    removeDir(dataDir);
  });

  async function snapshot() {
    const info = (await api.client.clusterInfo()) as { store: { revision: number } };
    const workloads = await api.client.listWorkloads();
    return { revision: info.store.revision, workloads: workloads.items.map((w) => [w.name, w.resourceVersion, w.replicas]) };
  }

  const withBody = (overrides: object) => JSON.stringify({ ...valid, name: 'other', ...overrides });
  const cases: Array<{ name: string; method: string; path: string; body?: string | Buffer; headers?: Record<string, string>; noAuth?: boolean; status: number; code: string; mentions?: string }> = [
    { name: 'malformed JSON', method: 'POST', path: '/api/v1/workloads', body: '{"name": "web",', status: 400, code: 'InvalidInput', mentions: 'JSON' },
    { name: 'malformed YAML', method: 'POST', path: '/api/v1/workloads', body: 'name: [unclosed', headers: { 'content-type': 'application/yaml' }, status: 400, code: 'InvalidInput', mentions: 'YAML' },
    { name: 'a body that is not an object', method: 'POST', path: '/api/v1/workloads', body: '[1,2]', status: 400, code: 'InvalidInput' },
    { name: 'an unknown field', method: 'POST', path: '/api/v1/workloads', body: withBody({ replcas: 3 }), status: 400, code: 'InvalidInput', mentions: 'replcas' },
    { name: 'an unknown nested field', method: 'POST', path: '/api/v1/workloads', body: withBody({ containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'x' }] }), status: 400, code: 'InvalidInput', mentions: 'containers[0].imagePullPolicy' },
    { name: 'negative replicas', method: 'POST', path: '/api/v1/workloads', body: withBody({ replicas: -1 }), status: 400, code: 'InvalidInput', mentions: 'replicas' },
    { name: 'huge replicas', method: 'POST', path: '/api/v1/workloads', body: withBody({ replicas: 1e9 }), status: 400, code: 'InvalidInput', mentions: 'replicas' },
    { name: 'replicas of the wrong type', method: 'POST', path: '/api/v1/workloads', body: withBody({ replicas: '3' }), status: 400, code: 'InvalidInput', mentions: 'replicas' },
    { name: 'no containers', method: 'POST', path: '/api/v1/workloads', body: withBody({ containers: [] }), status: 400, code: 'InvalidInput', mentions: 'containers' },
    { name: 'a name that is not a DNS label', method: 'POST', path: '/api/v1/workloads', body: withBody({ name: 'Web_App!' }), status: 400, code: 'InvalidInput', mentions: 'name' },
    { name: 'a bad memory request', method: 'POST', path: '/api/v1/workloads', body: withBody({ containers: [{ name: 'main', image: 'busybox', resourceRequests: { memoryMb: 0 } }] }), status: 400, code: 'InvalidInput', mentions: 'containers[0].resourceRequests.memoryMb' },
    { name: 'a bad image reference', method: 'POST', path: '/api/v1/workloads', body: withBody({ containers: [{ name: 'main', image: 'UPPER/../x' }] }), status: 400, code: 'InvalidInput', mentions: 'containers[0].image' },
    { name: 'an oversized body', method: 'POST', path: '/api/v1/workloads', body: Buffer.alloc(2 * 1024 * 1024, 'a'), status: 413, code: 'TooLarge' },
    { name: 'a duplicate name', method: 'POST', path: '/api/v1/workloads', body: JSON.stringify(valid), status: 409, code: 'Conflict', mentions: 'web' },
    { name: 'no token', method: 'POST', path: '/api/v1/workloads', body: withBody({}), noAuth: true, status: 401, code: 'Unauthorized' },
    { name: 'a wrong token', method: 'POST', path: '/api/v1/workloads', body: withBody({}), noAuth: true, headers: { authorization: 'Bearer nope' }, status: 401, code: 'Unauthorized' },
    { name: 'a wrong token on a read', method: 'GET', path: '/api/v1/workloads', noAuth: true, headers: { authorization: 'Bearer nope' }, status: 401, code: 'Unauthorized' },
    { name: 'an unknown workload', method: 'GET', path: '/api/v1/workloads/no-such', status: 404, code: 'NotFound', mentions: 'no-such' },
    { name: 'deleting an unknown workload', method: 'DELETE', path: '/api/v1/workloads/no-such', status: 404, code: 'NotFound' },
    { name: 'scaling an unknown workload', method: 'PATCH', path: '/api/v1/workloads/no-such/scale', body: '{"replicas":1}', status: 404, code: 'NotFound' },
    { name: 'scaling to a negative count', method: 'PATCH', path: '/api/v1/workloads/web/scale', body: '{"replicas":-3}', status: 400, code: 'InvalidInput', mentions: 'replicas' },
    { name: 'scaling with an unknown field', method: 'PATCH', path: '/api/v1/workloads/web/scale', body: '{"replicas":3,"force":true}', status: 400, code: 'InvalidInput', mentions: 'force' },
    { name: 'an update with a stale resourceVersion', method: 'PUT', path: '/api/v1/workloads/web', body: JSON.stringify({ ...valid, replicas: 7, resourceVersion: '1' }), status: 409, code: 'Conflict' },
    { name: 'renaming through an update', method: 'PUT', path: '/api/v1/workloads/web', body: JSON.stringify({ ...valid, name: 'renamed' }), status: 400, code: 'InvalidInput', mentions: 'name' },
    { name: 'an unknown instance', method: 'GET', path: '/api/v1/instances/web-nothere', status: 404, code: 'NotFound' },
    { name: 'an unknown node', method: 'GET', path: '/api/v1/nodes/nowhere', status: 404, code: 'NotFound' },
    { name: 'an unknown route', method: 'GET', path: '/api/v1/gadgets', status: 404, code: 'NotFound' },
    { name: 'a bad watch revision', method: 'GET', path: '/api/v1/workloads?watch=true&sinceRevision=abc', status: 400, code: 'InvalidInput', mentions: 'sinceRevision' },
  ];

  for (const c of cases) {
    it(`answers ${c.status} ${c.code} to ${c.name}, and changes nothing`, async () => {
      const before = await snapshot();
      const res = await raw(api.url, c.method, c.path, c.body, { ...(c.noAuth ? {} : auth), ...(c.headers ?? {}) });
      expect(res.status).toBe(c.status);
      expect(res.body).toMatchObject({ error: { code: c.code, message: expect.any(String) } });
      if (c.mentions) expect(JSON.stringify(res.body.error)).toContain(c.mentions);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('lists every bad field of a workload, not only the first', async () => {
    const res = await raw(api.url, 'POST', '/api/v1/workloads', withBody({ name: 'X', replicas: -1, containers: [{ name: 'main', image: 'busybox', resourceRequests: { memoryMb: -5 } }] }), auth);
    expect(res.status).toBe(400);
    const paths = res.body.error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'replicas', 'containers[0].resourceRequests.memoryMb']));
  });

  it('stays up after all of it', async () => {
    expect((await api.client.health()).status).toBe('ok');
  });

  describe('through the CLI', () => {
    it('names the file, line and field of each problem, exits 1, and creates nothing', async () => {
      const file = join(dataDir, 'bad.yaml');
      writeFileSync(file, 'name: good-one\ncontainers:\n  - name: main\n    image: busybox\n---\nname: Bad_Name\nreplicas: -2\ncontainers:\n  - name: main\n    image: busybox\n    resourceRequests:\n      memoryMb: 0\n');
      const before = await snapshot();
      const res = await api.cli(['workload', 'create', '-f', file]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`${file}:6: name: must be a DNS-1123 label`);
      expect(res.stderr).toContain(`${file}:7: replicas:`);
      expect(res.stderr).toContain(`${file}:12: containers[0].resourceRequests.memoryMb: must be a positive integer`);
      // The good first document was not sent either: a file goes in whole or not at all.
      expect(await snapshot()).toEqual(before);
    });

    it('points at the line of a YAML syntax error', async () => {
      const file = join(dataDir, 'broken.yaml');
      writeFileSync(file, 'name: x\ncontainers:\n  - name: main\n    image: [busybox\n');
      const res = await api.cli(['workload', 'create', '-f', file]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+: `));
    });

    it('says which URL it could not reach', async () => {
      const res = await runCli(['--server', 'http://127.0.0.1:9', 'workload', 'list']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('cannot reach the orchestrator API at http://127.0.0.1:9');
    });

    it('fails on an unknown workload and on a wrong token', async () => {
      const missing = await api.cli(['workload', 'describe', 'no-such']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('workload "no-such" not found');
      const denied = await runCli(['--server', api.url, '--token', 'wrong', 'workload', 'list']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('invalid token');
    });

    it('rejects a bad flag value with a usage error (exit 2)', async () => {
      const res = await api.cli(['workload', 'scale', 'web', '--replicas', 'many']);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--replicas');
      const unknown = await api.cli(['workload', 'frobnicate']);
      expect(unknown.code).toBe(2);
    });
  });
});

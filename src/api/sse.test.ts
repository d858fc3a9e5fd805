import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { newInstance } from '../core/instance-factory.js';
import type { ClusterStore } from '../store/cluster-store.js';
import { admin, testApi, web, type TestApi } from './api.test-harness.js';

let api: TestApi;
let store: ClusterStore;
let app: FastifyInstance;
let call: TestApi['call'];

beforeEach(() => {
  api = testApi();
  ({ store, app } = api);
  call = api.call;
});

afterEach(async () => {
  await api.app.close();
});

describe('watch streams', () => {
  /**
   * Opens an SSE watch on a real loopback socket and collects frames until `until` says stop.
   * `onOpen` gets the response once it is being read (to pause the reader, say).
   */
  async function watchFrames(
    path: string,
    until: (frames: Array<{ event: string; data: any }>) => boolean,
    onOpen?: (res: IncomingMessage) => Promise<void>,
  ): Promise<Array<{ event: string; data: any }>> {
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
        onOpen?.(res).catch(reject);
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
    const since = await store.kv.revision();
    const mine = newInstance(w, 'n1', new Date().toISOString());
    const theirs = newInstance(w, 'n2', new Date().toISOString());
    await store.commit([store.instances.create(mine), store.instances.create(theirs)]);
    await store.update(store.instances, mine.instanceId, (i) => ({ ...i, nodeId: 'n3' }));
    const frames = await watchFrames(`/api/v1/instances?watch=true&node=n1&sinceRevision=${since}`, (f) => f.length >= 2);
    expect(frames.map((f) => `${f.event}:${f.data.instanceId}`)).toEqual([`PUT:${mine.instanceId}`, `DELETE:${mine.instanceId}`]);
  });

  it('a reader slower than the changes gets every event once and in order, without the server buffering them all', async () => {
    const w = (await call('POST', '/api/v1/workloads', web)).json;
    const watches = vi.spyOn(store.kv, 'watch');
    const filler = 'x'.repeat(40_000);
    const count = 400;
    const seqs = (frames: Array<{ data: any }>) => frames.filter((f) => f.data.labels?.seq !== undefined).map((f) => Number(f.data.labels.seq));
    // 16 MB of changes while nobody reads, then the reader catches up.
    const frames = await watchFrames('/api/v1/instances?watch=true', (f) => seqs(f).length >= count, async (res) => {
      res.pause();
      for (let k = 0; k < count; k++) {
        const i = newInstance(w, 'n1', new Date().toISOString());
        await store.commit([store.instances.create({ ...i, labels: { seq: String(k), filler } })]);
      }
      res.resume();
    });
    const received = seqs(frames);
    expect(received).toEqual(Array.from({ length: count }, (_, k) => k));
    // It stopped following the store while the reader was behind, and went on from where it was.
    expect(watches.mock.calls.length).toBeGreaterThan(1);
  });
});

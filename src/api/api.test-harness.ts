/**
 * Test support (not product code): the API over a MemoryStateStore with real services, a stub node
 * gateway (logs and exec answer from memory) and an admin token, served through `inject`.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
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
import { buildApiServer, type ApiServerOptions } from './server.js';
import { WorkloadService } from './workload-service.js';

export const ADMIN = 'admin-secret-token';
export const admin = { authorization: `Bearer ${ADMIN}` };
export const web = { name: 'web', replicas: 2, labels: { tier: 'front' }, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] };
export const nodeReg = { id: 'n1', name: 'n1', capacity: { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 } };

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TestApi {
  store: ClusterStore;
  ctx: ApiContext;
  app: FastifyInstance;
  call(method: Method, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string }>;
  agentToken(nodeId: string): Promise<Record<string, string>>;
  /** Closes the app and builds it again with other options; returns the new one. */
  rebuild(options: ApiServerOptions): Promise<FastifyInstance>;
}

export function testApi(): TestApi {
  const store = new ClusterStore(new MemoryStateStore());
  const ctx: ApiContext = {
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
  const api: TestApi = {
    store,
    ctx,
    app: buildApiServer(ctx),
    async call(method, url, body, headers = admin) {
      const res = await api.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      const json = res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : undefined;
      return { status: res.statusCode, json, text: res.body };
    },
    async agentToken(nodeId) {
      const res = await api.call('POST', `/api/v1/nodes/${nodeId}/token`);
      expect(res.status).toBe(201);
      return { authorization: `Bearer ${res.json.token}` };
    },
    async rebuild(options) {
      await api.app.close();
      api.app = buildApiServer(ctx, options);
      return api.app;
    },
  };
  return api;
}

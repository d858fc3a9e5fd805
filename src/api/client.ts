import http from 'node:http';
import https from 'node:https';
import { URL } from 'node:url';
import type { WebSocket } from 'ws';
import { OrchestrationError, type ErrorBody } from '../types/errors.js';
import type { ClusterEventRecord } from '../types/event.js';
import { byWorkloadThenAge, type InstanceStatusReport, type WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { WorkloadDefinition, WorkloadRevision } from '../types/workload.js';

export interface ClientOptions {
  server: string;
  token?: string;
  /** Per request, not for streams. */
  timeoutMs?: number;
}

export interface WatchHandlers<T> {
  onEvent(type: 'PUT' | 'DELETE', obj: T, revision: number): void;
  /** The revision the server has reached (no matching change), so a resume starts from there. */
  onBookmark?(revision: number): void;
  /** The stream ended: with `Gone`, list again; otherwise reconnect from the last revision. */
  onEnd(err?: OrchestrationError): void;
}

/** Instances per page when the client lists them. */
const INSTANCE_PAGE = 2000;

export interface Listed<T> {
  items: T[];
  revision: number;
}

/**
 * The one client of the API: the CLI, the agents, the MCP server and the tests all use it. Plain
 * node:http with keep-alive (it starts in a few milliseconds, which the CLI's latency needs). Errors
 * come back as OrchestrationErrors with the server's code; an unreachable server is a ClusterError
 * naming the URL.
 */
export class ApiClient {
  readonly server: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;

  constructor(options: ClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const https_ = this.server.startsWith('https:');
    this.mod = https_ ? https : http;
    this.agent = new this.mod.Agent({ keepAlive: true, maxSockets: 64 });
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const res = await this.send(method, path, body, query, this.timeoutMs);
    const text = await readAll(res);
    if (res.statusCode! >= 400) throw errorFrom(res.statusCode!, text, `${method} ${path}`);
    if (!text) return undefined as T;
    return (res.headers['content-type'] ?? '').includes('json') ? (JSON.parse(text) as T) : (text as T);
  }

  /** A streaming response (logs, exec); the caller reads it. Non-2xx becomes an error. */
  async stream(method: string, path: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>): Promise<http.IncomingMessage> {
    const res = await this.send(method, path, body, query, 0);
    if (res.statusCode! >= 400) throw errorFrom(res.statusCode!, await readAll(res), `${method} ${path}`);
    return res;
  }

  /**
   * Opens a WebSocket at `path` (interactive exec). A refused upgrade becomes an error the way a
   * refused request does: the server's code and message.
   */
  async connect(path: string, query: URLSearchParams): Promise<WebSocket> {
    const { WebSocket } = await import('ws');
    const url = `${this.server.replace(/^http/, 'ws')}${path}?${query}`;
    const socket = new WebSocket(url, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {}, handshakeTimeout: this.timeoutMs });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => {
        void readAll(res).then((text) => reject(errorFrom(res.statusCode!, text, `GET ${path}`)), reject).finally(() => socket.terminate());
      });
      socket.on('error', (err: NodeJS.ErrnoException) => reject(new OrchestrationError('ClusterError', `cannot reach the orchestrator API at ${this.server}: ${err.code ?? err.message}`, { cause: err })));
    });
  }

  /** Sends a file's bytes as the request body (image archives); returns the parsed JSON answer. */
  async upload<T>(path: string, body: NodeJS.ReadableStream, contentType: string, size?: number): Promise<T> {
    const url = new URL(this.server + path);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json', 'content-type': contentType };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (size !== undefined) headers['content-length'] = size;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = this.mod.request(url, { method: 'POST', headers, agent: this.agent }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(new OrchestrationError('ClusterError', `cannot reach the orchestrator API at ${this.server}: ${err.code ?? err.message}`, { cause: err })));
      body.pipe(req);
    });
    const text = await readAll(res);
    if (res.statusCode! >= 400) throw errorFrom(res.statusCode!, text, `POST ${path}`);
    return JSON.parse(text) as T;
  }

  /** Follows a watch stream (server-sent events) until closed or the server ends it. */
  watch<T>(path: string, sinceRevision: number | undefined, query: Record<string, string | undefined>, handlers: WatchHandlers<T>): { close(): void } {
    let closed = false;
    let response: http.IncomingMessage | undefined;
    let ended = false;
    const end = (err?: OrchestrationError) => {
      if (ended) return;
      ended = true;
      if (!closed) handlers.onEnd(err);
    };
    this.stream('GET', path, undefined, { ...query, watch: 'true', sinceRevision })
      .then((res) => {
        response = res;
        if (closed) return res.destroy();
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let idx: number;
          while ((idx = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            const ev = parseFrame(frame);
            if (!ev) continue;
            if (ev.event === 'PUT' || ev.event === 'DELETE') handlers.onEvent(ev.event, JSON.parse(ev.data) as T, Number(ev.id));
            else if (ev.event === 'BOOKMARK') handlers.onBookmark?.(Number(ev.id));
            else if (ev.event === 'ERROR') {
              const body = JSON.parse(ev.data) as ErrorBody;
              end(new OrchestrationError(body.error.code, body.error.message));
            }
          }
        });
        res.on('end', () => end(new OrchestrationError('Unavailable', 'watch stream ended')));
        res.on('error', (e) => end(new OrchestrationError('Unavailable', `watch stream broke: ${e.message}`)));
      })
      .catch((err) => end(err instanceof OrchestrationError ? err : new OrchestrationError('Unavailable', String(err))));
    return {
      close: () => {
        closed = true;
        response?.destroy();
      },
    };
  }

  // Typed calls, one per endpoint.
  listWorkloads(labelSelector?: string) {
    return this.request<Listed<WorkloadDefinition>>('GET', '/api/v1/workloads', undefined, { labelSelector });
  }
  getWorkload(ref: string) {
    return this.request<WorkloadDefinition>('GET', `/api/v1/workloads/${enc(ref)}`);
  }
  createWorkload(spec: unknown) {
    return this.request<WorkloadDefinition>('POST', '/api/v1/workloads', spec);
  }
  updateWorkload(ref: string, spec: unknown) {
    return this.request<WorkloadDefinition>('PUT', `/api/v1/workloads/${enc(ref)}`, spec);
  }
  deleteWorkload(ref: string) {
    return this.request<WorkloadDefinition>('DELETE', `/api/v1/workloads/${enc(ref)}`);
  }
  scaleWorkload(ref: string, replicas: number, resourceVersion?: string) {
    return this.request<WorkloadDefinition>('PATCH', `/api/v1/workloads/${enc(ref)}/scale`, { replicas, ...(resourceVersion ? { resourceVersion } : {}) });
  }
  listRevisions(ref: string) {
    return this.request<{ items: WorkloadRevision[]; current: number }>('GET', `/api/v1/workloads/${enc(ref)}/revisions`);
  }
  getRevision(workloadId: string, revision: number) {
    return this.request<WorkloadRevision>('GET', `/api/v1/workloads/${enc(workloadId)}/revisions/${revision}`);
  }
  explainWorkload(ref: string) {
    return this.request<unknown>('GET', `/api/v1/workloads/${enc(ref)}/explain`);
  }
  listNodes() {
    return this.request<Listed<Node>>('GET', '/api/v1/nodes');
  }
  getNode(ref: string) {
    return this.request<Node>('GET', `/api/v1/nodes/${enc(ref)}`);
  }
  registerNode(registration: unknown) {
    return this.request<Node>('POST', '/api/v1/nodes', registration);
  }
  heartbeat(nodeIds: string[]) {
    return this.request<{ unknown: string[] }>('POST', '/api/v1/nodes/heartbeat', { nodeIds });
  }
  nodeAction(ref: string, action: 'cordon' | 'uncordon' | 'drain') {
    return this.request<Node>('POST', `/api/v1/nodes/${enc(ref)}/${action}`);
  }
  /**
   * Every instance (of a workload, on a node), fetched a page at a time so that neither side holds a
   * whole large cluster's worth of JSON at once; by workload, then age, as the unpaged list gives them.
   * The revision is the first page's: watching from it misses nothing that changed meanwhile.
   */
  async listInstances(filter: { workload?: string; node?: string } = {}): Promise<Listed<WorkloadInstance>> {
    const items: WorkloadInstance[] = [];
    let revision: number | undefined;
    let token: string | undefined;
    do {
      const page = await this.request<Listed<WorkloadInstance> & { continue?: string }>('GET', '/api/v1/instances', undefined, { ...filter, limit: String(INSTANCE_PAGE), continue: token });
      items.push(...page.items);
      revision ??= page.revision;
      token = page.continue;
    } while (token);
    items.sort(byWorkloadThenAge);
    return { items, revision: revision ?? 0 };
  }
  getInstance(ref: string) {
    return this.request<WorkloadInstance>('GET', `/api/v1/instances/${enc(ref)}`);
  }
  reportStatus(reports: InstanceStatusReport[]) {
    return this.request<{ applied: number; unknown: string[] }>('POST', '/api/v1/instances/status', { reports });
  }
  finalizeInstance(id: string) {
    return this.request<{ removed: string }>('DELETE', `/api/v1/instances/${enc(id)}`);
  }
  listEvents(filter: { workload?: string; object?: string; limit?: number } = {}) {
    return this.request<Listed<ClusterEventRecord>>('GET', '/api/v1/events', undefined, filter);
  }
  postEvents(events: ClusterEventRecord[]) {
    return this.request<{ accepted: number }>('POST', '/api/v1/events', { events });
  }
  clusterInfo() {
    return this.request<Record<string, unknown>>('GET', '/api/v1/cluster');
  }
  health() {
    return this.request<{ status: string }>('GET', '/health');
  }

  private send(method: string, path: string, body: unknown, query: Record<string, string | number | boolean | undefined> | undefined, timeoutMs: number): Promise<http.IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = this.mod.request(url, { method, headers, agent: this.agent }, resolve);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new OrchestrationError('Unavailable', `no answer from ${this.server} within ${timeoutMs / 1000}s (${method} ${path})`)));
      }
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof OrchestrationError) return reject(err);
        reject(new OrchestrationError('ClusterError', `cannot reach the orchestrator API at ${this.server}: ${err.code ?? err.message}`, { cause: err }));
      });
      req.end(payload);
    });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function errorFrom(status: number, text: string, what: string): OrchestrationError {
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body?.error?.code) return new OrchestrationError(body.error.code, body.error.message, { details: body.error.details });
  } catch {
    /* not our error body */
  }
  return new OrchestrationError(status === 404 ? 'NotFound' : status >= 500 ? 'Unavailable' : 'InvalidInput', `${what}: HTTP ${status} ${text.slice(0, 200)}`);
}

function parseFrame(frame: string): { event: string; id: string; data: string } | undefined {
  let event = 'message';
  let id = '';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event === 'message') return undefined;
  return { event, id, data: data.join('\n') };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiClient as Client } from '../api/client.js';
import { HTTP_STATUS } from '../api/errors.js';
import { parseExecStreamQuery, serveExecSession } from '../api/exec-channel.js';
import { OrchestrationError } from '../types/errors.js';
import type { Logger } from '../types/logger.js';
import type { Agent } from './agent.js';
import { serveImageRequest } from './image-endpoints.js';

/**
 * The agent's own small HTTP server, for what only the node can do: a container's logs, exec (a
 * WebSocket, exec-channel.ts) and the node's images (image-endpoints.ts). The control plane calls it
 * on a user's behalf with its admin token; the agent checks each token by asking the control plane
 * who it belongs to (cached for a minute), so it keeps no secret of its own.
 */
export class AgentServer {
  private server?: http.Server;
  private readonly verified = new Map<string, number>();
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  constructor(
    private readonly agent: Agent,
    private readonly controlPlane: string,
    private readonly log: Logger,
  ) {}

  async listen(host: string, port: number): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const addr = this.server.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets.clients) socket.terminate();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      await this.authorize(req.headers.authorization);
      const url = new URL(req.url ?? '/', 'http://agent');
      if (await serveImageRequest(this.agent.images, req, res, url.pathname)) return;
      const m = /^\/v1\/instances\/([^/]+)\/logs$/.exec(url.pathname);
      if (!m || req.method !== 'GET') throw new OrchestrationError('NotFound', `no route ${req.method} ${url.pathname}`);
      const abort = new AbortController();
      req.on('close', () => abort.abort());
      const tail = url.searchParams.get('tail');
      const stream = await this.agent.logs(decodeURIComponent(m[1]), url.searchParams.get('container') ?? '', { follow: url.searchParams.get('follow') === 'true', tail: tail === null ? undefined : Number(tail), signal: abort.signal });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      stream.pipe(res);
    } catch (err) {
      const e = this.failure(err);
      if (!res.headersSent) res.writeHead(HTTP_STATUS[e.code], { 'content-type': 'application/json' });
      res.end(JSON.stringify(e.toBody()));
    }
  }

  /** Exec as a WebSocket (exec-channel.ts): the command is started before the upgrade, so failing to start it is an HTTP error. */
  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      await this.authorize(req.headers.authorization);
      const url = new URL(req.url ?? '/', 'http://agent');
      const m = /^\/v1\/instances\/([^/]+)\/exec\/stream$/.exec(url.pathname);
      if (!m) throw new OrchestrationError('NotFound', `no WebSocket at ${url.pathname}`);
      const q = parseExecStreamQuery(url.searchParams);
      const abort = new AbortController();
      socket.once('close', () => abort.abort());
      const session = await this.agent.exec(decodeURIComponent(m[1]), q.container ?? '', q.command, { tty: q.tty, signal: abort.signal });
      this.sockets.handleUpgrade(req, socket, head, (ws) => serveExecSession(ws, session, q.stdin));
    } catch (err) {
      const e = this.failure(err);
      const body = JSON.stringify(e.toBody());
      const status = HTTP_STATUS[e.code];
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  }

  private failure(err: unknown): OrchestrationError {
    const e = err instanceof OrchestrationError ? err : new OrchestrationError('Internal', String(err));
    if (HTTP_STATUS[e.code] >= 500) this.log.warn({ err: e.message }, 'agent request failed');
    return e;
  }

  /** Only the admin (the control plane acting for a user) may read logs, exec or reach images. */
  private async authorize(header: string | undefined): Promise<void> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) throw new OrchestrationError('Unauthorized', 'missing bearer token');
    const until = this.verified.get(token);
    if (until && until > Date.now()) return;
    const who = await new Client({ server: this.controlPlane, token, timeoutMs: 5000 }).request<{ kind: string }>('GET', '/api/v1/whoami').catch(() => undefined);
    if (who?.kind !== 'admin') throw new OrchestrationError('Unauthorized', 'token not accepted');
    this.verified.set(token, Date.now() + 60_000);
  }
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient as Client } from '../api/client.js';
import { writeExecFrames } from '../api/exec-frames.js';
import { OrchestrationError } from '../types/errors.js';
import type { Logger } from '../types/logger.js';
import type { Agent } from './agent.js';

/**
 * The agent's own small HTTP server, for what only the node can do: a container's logs and exec.
 * The control plane calls it on a user's behalf with its admin token; the agent checks each token
 * by asking the control plane who it belongs to (cached for a minute), so it keeps no secret of its own.
 */
export class AgentServer {
  private server?: http.Server;
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly agent: Agent,
    private readonly controlPlane: string,
    private readonly log: Logger,
  ) {}

  async listen(host: string, port: number): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const addr = this.server.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      await this.authorize(req.headers.authorization);
      const url = new URL(req.url ?? '/', 'http://agent');
      const m = /^\/v1\/instances\/([^/]+)\/(logs|exec)$/.exec(url.pathname);
      if (!m) throw new OrchestrationError('NotFound', `no route ${req.method} ${url.pathname}`);
      const id = decodeURIComponent(m[1]);
      if (m[2] === 'logs' && req.method === 'GET') {
        const abort = new AbortController();
        req.on('close', () => abort.abort());
        const tail = url.searchParams.get('tail');
        const stream = await this.agent.logs(id, url.searchParams.get('container') ?? '', { follow: url.searchParams.get('follow') === 'true', tail: tail === null ? undefined : Number(tail), signal: abort.signal });
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        stream.pipe(res);
        return;
      }
      if (m[2] === 'exec' && req.method === 'POST') {
        const body = JSON.parse(await readBody(req)) as { command: string[]; container: string };
        const abort = new AbortController();
        req.on('close', () => abort.abort());
        const session = await this.agent.exec(id, body.container, body.command, { signal: abort.signal });
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        await writeExecFrames(session, res);
        return;
      }
      throw new OrchestrationError('NotFound', `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      const e = err instanceof OrchestrationError ? err : new OrchestrationError('Internal', String(err));
      const status = e.code === 'Unauthorized' ? 401 : e.code === 'Forbidden' ? 403 : e.code === 'NotFound' ? 404 : 500;
      if (status >= 500) this.log.warn({ err: e.message }, 'agent request failed');
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e.toBody()));
    }
  }

  /** Only the admin (the control plane acting for a user) may read logs or exec. */
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

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
      if (text.length > 1 << 20) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}


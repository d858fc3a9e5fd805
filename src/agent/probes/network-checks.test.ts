import http from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpCheck } from './http-check.js';
import { tcpCheck } from './tcp-check.js';

/** The http and tcp checks against real loopback sockets. */
describe('network probe checks', () => {
  const servers: Array<Server | http.Server> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function listen<S extends Server | http.Server>(s: S): Promise<number> {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  }

  /** A port nothing listens on: bound, then closed. */
  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }

  it('http: 2xx and 3xx pass, 4xx/5xx fail with the status, a refused connection fails', async () => {
    const paths: string[] = [];
    const port = await listen(
      http.createServer((req, res) => {
        paths.push(req.url!);
        const code = Number(req.url!.slice(1));
        res.writeHead(code, code === 302 ? { location: '/elsewhere' } : {}).end(code >= 400 ? 'broken' : 'fine');
      }),
    );
    const get = (path: string) => httpCheck({ scheme: 'HTTP', host: '127.0.0.1', port, path }, new AbortController().signal);
    expect((await get('/200')).ok).toBe(true);
    expect((await get('/204')).ok).toBe(true);
    expect((await get('/302')).ok).toBe(true);
    expect(await get('/404')).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 404' });
    expect((await get('/500')).ok).toBe(false);
    expect(paths).toEqual(['/200', '/204', '/302', '/404', '/500']); // redirects not followed

    const refused = await httpCheck({ scheme: 'HTTP', host: '127.0.0.1', port: await closedPort(), path: '/' }, new AbortController().signal);
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/ECONNREFUSED/);
  });

  it('http: an answer that does not come before the abort fails as timed out', async () => {
    const port = await listen(http.createServer(() => {}));
    const abort = new AbortController();
    const pending = httpCheck({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/slow' }, abort.signal);
    setTimeout(() => abort.abort(), 50);
    const r = await pending;
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/timed out/);
    for (const s of servers) (s as http.Server).closeAllConnections?.();
  });

  it('tcp: an open port passes, a closed one fails', async () => {
    const port = await listen(createServer((sock) => sock.destroy()));
    expect((await tcpCheck('127.0.0.1', port, new AbortController().signal)).ok).toBe(true);
    const r = await tcpCheck('127.0.0.1', await closedPort(), new AbortController().signal);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/ECONNREFUSED/);
  });
});

/**
 * `npm run bench -- api [seconds]`: requests/s and p50/p99 latency of `GET /api/v1/workloads/:id`
 * and `POST /api/v1/workloads` against a running orchestrator-api (its own process, SQLite store
 * with fsync per commit), next to a bare node:http hello-world server measured the same way in the
 * same run. The load comes from this process over keep-alive connections.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { percentile, printTable, writeResult, type BenchRow } from './report.js';
import { sleep, startServer } from './_cluster.js';

const HELLO = `require('node:http').createServer((req, res) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }); res.end('{"hello":"world"}'); }); }).listen(0, '127.0.0.1', function () { process.stderr.write('listening on http://127.0.0.1:' + this.address().port + '\\n'); });`;

interface Load {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function load(url: string, method: 'GET' | 'POST', path: (k: number) => string, body: (k: number) => string | undefined, headers: Record<string, string>, seconds: number, concurrency: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let k = 0;
  const end = Date.now() + seconds * 1000;
  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const payload = body(n);
      const start = process.hrtime.bigint();
      const req = http.request(url + path(n), { method, agent, headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode! >= 400) errors++;
          latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await one(k++);
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, rps: Math.round(latencies.length / elapsed), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

async function startHello(): Promise<{ url: string; stop(): void }> {
  const proc = spawn(process.execPath, ['-e', HELLO], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve) => {
    let s = '';
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
      s += c;
      const m = /listening on (\S+)/.exec(s);
      if (m) resolve(m[1]);
    });
  });
  return { url, stop: () => proc.kill('SIGKILL') };
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  const concurrency = Number(args[1] ?? 32);
  const server = await startServer();
  const hello = await startHello();
  const auth = { authorization: `Bearer ${server.token}` };
  const w = await server.client.createWorkload({ name: 'bench-get', replicas: 0, containers: [{ name: 'main', image: 'busybox' }] });
  await sleep(500);
  const tag = Date.now().toString(36);
  const spec = (n: number) => JSON.stringify({ name: `b-${tag}-${n}`, replicas: 0, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'] }] });

  const results: Record<string, Load> = {};
  results.helloGet = await load(hello.url, 'GET', () => '/', () => undefined, {}, seconds, concurrency);
  results.apiGet = await load(server.url, 'GET', () => `/api/v1/workloads/${w.workloadId}`, () => undefined, auth, seconds, concurrency);
  results.helloPost = await load(hello.url, 'POST', () => '/', spec, {}, seconds, concurrency);
  results.apiPost = await load(server.url, 'POST', () => '/api/v1/workloads', spec, auth, seconds, concurrency);
  hello.stop();
  await server.stop();

  const rows: BenchRow[] = [
    { request: 'GET /api/v1/workloads/:id', ...results.apiGet, baselineRps: results.helloGet.rps, ratioToBaseline: results.apiGet.rps / results.helloGet.rps },
    { request: 'POST /api/v1/workloads', ...results.apiPost, baselineRps: results.helloPost.rps, ratioToBaseline: results.apiPost.rps / results.helloPost.rps },
    { request: 'GET / (bare node:http)', ...results.helloGet, baselineRps: results.helloGet.rps, ratioToBaseline: 1 },
    { request: 'POST / (bare node:http)', ...results.helloPost, baselineRps: results.helloPost.rps, ratioToBaseline: 1 },
  ];
  printTable(`API throughput, ${concurrency} keep-alive connections, ${seconds}s each (POST commits to SQLite with fsync)`, rows);
  writeResult('api', { seconds, concurrency, rows });
}

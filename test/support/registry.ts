import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian's docker-registry (distribution 2.8) on a free loopback port, configured by a temp YAML
 * file with storage in a temp dir; optionally over TLS with a throwaway CA, and optionally behind
 * bearer-token auth served by a small token service of the test's own (`users`).
 */
export interface RegistryHandle {
  /** `127.0.0.1:PORT`, as image references name it. */
  host: string;
  /** PEM of the CA that signed the registry's certificate (TLS only); also a dir for skopeo's --cert-dir. */
  ca?: string;
  certDir?: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  tls?: boolean;
  /** Bearer-token auth: these user → password pairs may pull and push. */
  users?: Record<string, string>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const stops: Array<() => Promise<void>> = [];
  let yaml = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: ${randomUUID()}\n`;
  let ca: string | undefined;
  let certDir: string | undefined;
  if (options.tls) {
    certDir = join(dir, 'ca');
    mkdirSync(certDir);
    selfSigned(join(dir, 'registry'), '127.0.0.1', 'IP:127.0.0.1');
    ca = readFileSync(join(dir, 'registry.crt'), 'utf8');
    writeFileSync(join(certDir, 'ca.crt'), ca);
    yaml += `  tls:\n    certificate: ${dir}/registry.crt\n    key: ${dir}/registry.key\n`;
  }
  if (options.users) {
    const signer = join(dir, 'token');
    selfSigned(signer, 'orch-test-token-issuer');
    const tokens = await startTokenServer(readFileSync(`${signer}.key`, 'utf8'), readFileSync(`${signer}.crt`, 'utf8'), options.users);
    stops.push(tokens.stop);
    yaml += `auth:\n  token:\n    realm: ${tokens.url}/token\n    service: orch-test-registry\n    issuer: orch-test\n    rootcertbundle: ${signer}.crt\n`;
  }
  writeFileSync(join(dir, 'config.yml'), yaml);
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  stops.push(() => stopProcess(proc));
  await waitReady(host, options.tls ? ca : undefined, proc, () => stderr);
  return {
    host,
    ca,
    certDir,
    async stop() {
      for (const s of stops.reverse()) await s();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function selfSigned(base: string, cn: string, san?: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '2', '-subj', `/CN=${cn}`, ...(san ? ['-addext', `subjectAltName=${san}`] : [])], { stdio: 'ignore' });
}

async function waitReady(host: string, ca: string | undefined, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = (ca ? https : http).get(`${ca ? 'https' : 'http'}://${host}/v2/`, ca ? { ca } : {}, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${host}: ${stderr()}`);
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/** Issues RS256 JWTs (x5c-chained to the registry's rootcertbundle) to users with the right password. */
async function startTokenServer(keyPem: string, certPem: string, users: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const b64url = (b: Buffer) => b.toString('base64url');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
    if (!user || users[user] !== pass) {
      res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return type && name ? [{ type, name, actions: (actions ?? '').split(',').filter(Boolean) }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] })));
    const claims = b64url(Buffer.from(JSON.stringify({ iss: 'orch-test', sub: user, aud: url.searchParams.get('service') ?? '', exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access })));
    const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), keyPem));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(() => r())) };
}

/** `skopeo copy oci:LAYOUT:TAG docker://HOST/NAME:TAG` (async: the token service answers in this process). */
export async function pushWithSkopeo(layoutDir: string, tag: string, target: string, opts: { certDir?: string; creds?: string; all?: boolean } = {}): Promise<void> {
  await run('skopeo', [
    'copy', '--quiet',
    ...(opts.all ? ['--all'] : []),
    ...(opts.certDir ? ['--dest-cert-dir', opts.certDir] : ['--dest-tls-verify=false']),
    ...(opts.creds ? ['--dest-creds', opts.creds] : []),
    `oci:${layoutDir}:${tag}`, `docker://${target}`,
  ]);
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemSkip } from './system.js';

/**
 * Real etcd for tests and benchmarks: Debian's `etcd` binary (package etcd-server) started as 1 or 3
 * members on loopback, on ports picked free, with data in a temp dir. Members can be killed
 * (SIGKILL) and restarted on the same ports and data; `stop()` kills every member and removes the
 * data. A process exit handler kills what is still running, so a crashed test leaves no etcd behind.
 */
export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
}

export interface EtcdClusterOptions {
  members?: 1 | 3;
  /** Raft heartbeat and election timeout (ms): etcd's defaults unless told. */
  heartbeatMs?: number;
  electionMs?: number;
  /** More etcd flags, e.g. ['--max-txn-ops', '1024'] for suites that commit big batches (etcd's default is 128). */
  extraArgs?: string[];
  /** Serve clients over TLS with these PEM files (see makeTestCertificates); peers stay plain on loopback. */
  tls?: TestCertificates & { clientCertAuth?: boolean };
}

/** PEM files of a throwaway CA, a server certificate for 127.0.0.1/localhost, and a client certificate. */
export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Makes a CA and server/client certificates with openssl in `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=orch-test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth'],
    ['client', 'root', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(f(`${name}.ext`), ext + '\n');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** `describe.skipIf(etcdSkip(...))`: skips with a printed reason where etcd is not installed. */
export function etcdSkip(suite: string): boolean {
  return systemSkip(suite, [{ bin: 'etcd' }]);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class EtcdCluster {
  readonly members: EtcdMember[];
  private readonly root: string;

  private constructor(root: string, members: EtcdMember[], private readonly options: EtcdClusterOptions) {
    this.root = root;
    this.members = members;
  }

  /** Starts the members and resolves once the cluster has a leader and answers. */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const count = options.members ?? 1;
    const root = mkdtempSync(join(tmpdir(), 'orch-etcd-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < count; i++) {
      const [client, peer] = [await freePort(), await freePort()];
      const scheme = options.tls ? 'https' : 'http';
      members.push({ name: `m${i}`, clientUrl: `${scheme}://127.0.0.1:${client}`, peerUrl: `http://127.0.0.1:${peer}`, dataDir: join(root, `m${i}`) });
    }
    const cluster = new EtcdCluster(root, members, options);
    try {
      for (const m of members) cluster.spawnMember(m, 'new');
      await cluster.waitHealthy();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** `etcd://127.0.0.1:P1,127.0.0.1:P2,…` for EtcdStateStore. */
  url(prefix = ''): string {
    return `etcd://${this.members.map((m) => m.clientUrl.replace(/^https?:\/\//, '')).join(',')}${prefix}`;
  }

  endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** SIGKILL one member and wait for it to be gone. */
  async kill(index: number): Promise<void> {
    const p = this.members[index].process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed member again on its ports and data dir; `waitHealthy()` tells when the cluster serves again. */
  async restart(index: number): Promise<void> {
    const m = this.members[index];
    if (m.process && m.process.exitCode === null && m.process.signalCode === null) return;
    this.spawnMember(m, 'existing');
  }

  /** Resolves when every running member reports healthy (a leader with quorum). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => m.process && m.process.exitCode === null && m.process.signalCode === null);
      const states = await Promise.all(live.map((m) => memberHealthy(m.clientUrl, this.options.tls)));
      if (live.length > 0 && states.every(Boolean)) return;
      for (const m of this.members) {
        if (m.process && m.process.exitCode !== null && m.process.exitCode !== 0 && !m.process.killed) {
          throw new Error(`etcd member ${m.name} exited with ${m.process.exitCode}: ${this.logTail(m)}`);
        }
      }
      if (Date.now() > deadline) throw new Error(`etcd not healthy after ${timeoutMs} ms: ${live.map((m) => this.logTail(m)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    rmSync(this.root, { recursive: true, force: true });
  }

  private spawnMember(m: EtcdMember, state: 'new' | 'existing'): void {
    installExitHook();
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', `orch-test-${process.pid}`,
      '--heartbeat-interval', String(this.options.heartbeatMs ?? 100),
      '--election-timeout', String(this.options.electionMs ?? 1000),
      '--logger', 'zap',
      '--log-level', 'warn',
      ...(this.options.tls
        ? ['--cert-file', this.options.tls.serverCert, '--key-file', this.options.tls.serverKey, '--trusted-ca-file', this.options.tls.ca, ...(this.options.tls.clientCertAuth ? ['--client-cert-auth'] : [])]
        : []),
      ...(this.options.extraArgs ?? []),
    ];
    const log = openSync(join(this.root, `${m.name}.log`), 'a');
    const child = spawn('etcd', args, { stdio: ['ignore', log, log] });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    m.process = child;
  }

  private logTail(m: EtcdMember): string {
    try {
      return readFileSync(join(this.root, `${m.name}.log`), 'utf8').split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

async function memberHealthy(clientUrl: string, tls?: TestCertificates): Promise<boolean> {
  if (!tls) {
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const req = httpsGet(
      `${clientUrl}/health`,
      { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey), timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body.includes('"health":"true"')));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

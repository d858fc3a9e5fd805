import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterStore } from '../store/cluster-store.js';
import { KEYS } from '../store/cluster-store.js';
import { OrchestrationError } from '../types/errors.js';

/** Who is calling: the admin (people, the CLI, MCP), or a node's agent, which may act only for its node. */
export type Principal = { kind: 'admin' } | { kind: 'agent'; nodeId: string };

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * The admin token: `given` (replicas of one cluster are started with the same one), else the data
 * dir's, created (0600) on first start. A given token is written to the data dir too, so the CLI
 * finds it there.
 */
export function ensureAdminToken(dataDir: string, given?: string): string {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  mkdirSync(dataDir, { recursive: true });
  if (given !== undefined) {
    if (given.length < 16) throw new OrchestrationError('InvalidInput', '--token: an admin token must be at least 16 characters');
    writeFileSync(file, given + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    return given;
  }
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return token;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

interface StoredToken {
  kind: 'agent';
  nodeId: string;
  createdAt: string;
}

/**
 * Bearer tokens: the admin token (compared in constant time), and agent tokens stored hashed in
 * the state store, each bound to one node. Tokens are never stored or logged in the clear.
 */
export class Authenticator {
  private readonly admin: Buffer;
  private readonly cache = new Map<string, { principal: Principal | undefined; at: number }>();

  constructor(adminToken: string, private readonly store: ClusterStore) {
    this.admin = Buffer.from(adminToken);
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new OrchestrationError('Unauthorized', 'missing bearer token (send "Authorization: Bearer TOKEN"; the admin token is in the data dir, file admin.token)');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) throw new OrchestrationError('Unauthorized', 'malformed Authorization header; expected "Bearer TOKEN"');
    const token = Buffer.from(m[1]);
    if (token.length === this.admin.length && timingSafeEqual(token, this.admin)) return { kind: 'admin' };
    const principal = await this.lookup(m[1]);
    if (!principal) throw new OrchestrationError('Unauthorized', 'invalid token');
    return principal;
  }

  /** Creates a token for node `nodeId`'s agent; returns it once (only its hash is kept). */
  async createAgentToken(nodeId: string): Promise<string> {
    const token = `agent.${randomBytes(24).toString('hex')}`;
    const value: StoredToken = { kind: 'agent', nodeId, createdAt: new Date().toISOString() };
    const res = await this.store.commit([{ op: 'put', key: KEYS.tokens + hashToken(token), value: JSON.stringify(value), ifModRevision: 0 }]);
    if (!res.ok) throw new OrchestrationError('Conflict', 'token collision; try again');
    return token;
  }

  private async lookup(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < 10_000) return hit.principal;
    const kv = await this.store.kv.get(KEYS.tokens + hash);
    const stored = kv ? (JSON.parse(kv.value) as StoredToken) : undefined;
    const principal: Principal | undefined = stored ? { kind: 'agent', nodeId: stored.nodeId } : undefined;
    this.cache.set(hash, { principal, at: Date.now() });
    return principal;
  }
}

/** Throws Forbidden unless the principal is the admin, or the agent of `nodeId`. */
export function requireNodeAccess(p: Principal, nodeId: string | undefined): void {
  if (p.kind === 'admin') return;
  if (nodeId && p.nodeId === nodeId) return;
  throw new OrchestrationError('Forbidden', `agent of node ${p.nodeId} may not act for ${nodeId ? `node ${nodeId}` : 'the whole cluster'}`);
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new OrchestrationError('Forbidden', 'this needs the admin token');
}

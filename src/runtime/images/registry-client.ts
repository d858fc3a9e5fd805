import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../types/logger.js';
import { newHash, sha256Of } from './digest.js';
import { httpGet, readBody } from './http-fetch.js';
import { ImagePullError } from './pull-error.js';
import { isLoopbackRegistry, registryEndpoint } from './reference.js';

/** Credentials for one registry: a user and password (Basic, or exchanged for a bearer token), or a token. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** A bearer token to send as is. */
  token?: string;
}

/** How to reach one registry host. */
export interface RegistryConfig {
  /** PEM of the CA(s) that sign the registry's certificate, beside the system's. */
  ca?: string | Buffer;
  /** `http` only for registries known to be plain; `auto` tries HTTPS first (the default for loopback). */
  scheme?: 'https' | 'http' | 'auto';
  auth?: RegistryAuth;
}

/**
 * Speaks the OCI distribution API for one repository: GET /v2/NAME/manifests/REF and
 * /v2/NAME/blobs/DIGEST, answering 401 challenges (Bearer token exchange, or Basic). Every failure
 * is an ImagePullError of kind not found / unauthorized / unreachable.
 */
export class RegistryClient {
  private scheme: 'https' | 'http' | undefined;
  private authorization: string | undefined;
  private readonly host: string;

  constructor(
    private readonly registry: string,
    private readonly repository: string,
    private readonly config: RegistryConfig,
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {
    this.host = registryEndpoint(registry);
    const scheme = config.scheme ?? (isLoopbackRegistry(registry) ? 'auto' : 'https');
    this.scheme = scheme === 'auto' ? undefined : scheme;
    if (config.auth?.token) this.authorization = `Bearer ${config.auth.token}`;
  }

  async manifest(reference: string, accept: string[]): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const res = await this.get(`manifests/${reference}`, { Accept: accept.join(', ') }, 'manifest');
    const body = await readBody(res, 4 * 1024 * 1024);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    return { body, mediaType, digest: sha256Of(body) };
  }

  /** Streams a blob to `file` (via a temp name), checking its size and digest; `onBytes` sees progress. */
  async blob(digest: string, size: number | undefined, file: string, onBytes: (n: number) => void): Promise<void> {
    const res = await this.get(`blobs/${digest}`, {}, 'blob');
    const hash = newHash();
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        seen += chunk.length;
        // A blob larger than its descriptor is wrong whatever follows: stop before it fills the disk.
        if (size !== undefined && seen > size) return cb(new ImagePullError('corrupt', `blob ${digest} is larger than the ${size} bytes its descriptor says`));
        onBytes(chunk.length);
        cb(null, chunk);
      },
    });
    const tmp = `${file}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await pipeline(res, counter, createWriteStream(tmp, { mode: 0o600 }));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw new ImagePullError('corrupt', `blob ${digest} of ${this.registry}/${this.repository} arrived with digest ${got}`);
      if (size !== undefined && seen !== size) throw new ImagePullError('corrupt', `blob ${digest} is ${seen} bytes, its descriptor says ${size}`);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError('unreachable', `${this.registry}: blob ${digest} broke off: ${(err as Error).message}`, err);
    }
  }

  private async get(path: string, headers: Record<string, string>, what: string): Promise<IncomingMessage> {
    let res = await this.send(path, headers);
    if (res.statusCode === 401) {
      const challenge = String(res.headers['www-authenticate'] ?? '');
      res.resume();
      await this.answer(challenge);
      res = await this.send(path, headers);
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const text = (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 300);
    const name = `${this.registry}/${this.repository}`;
    if (status === 401 || status === 403) throw new ImagePullError('unauthorized', `${name}: the registry refused access to the ${what} (HTTP ${status})`);
    if (status === 404) throw new ImagePullError('not found', `${name}: ${what} ${path.split('/').pop()} does not exist (HTTP 404)`);
    throw new ImagePullError('unreachable', `${name}: HTTP ${status} for the ${what}: ${text}`);
  }

  private async send(path: string, headers: Record<string, string>): Promise<IncomingMessage> {
    const all = { ...headers, ...(this.authorization ? { Authorization: this.authorization } : {}) };
    const schemes: Array<'https' | 'http'> = this.scheme ? [this.scheme] : ['https', 'http'];
    let last: unknown;
    for (const scheme of schemes) {
      try {
        const res = await httpGet(`${scheme}://${this.host}/v2/${this.repository}/${path}`, { headers: all, ca: this.config.ca, signal: this.signal });
        this.scheme = scheme;
        return res;
      } catch (err) {
        last = err;
        this.log.debug({ registry: this.registry, scheme, err: (err as Error).message }, 'registry request failed');
      }
    }
    throw new ImagePullError('unreachable', `${this.registry}: ${(last as Error).message}`, last);
  }

  /** Answers a 401: Basic with the credentials, or a Bearer token from the challenge's realm. */
  private async answer(challenge: string): Promise<void> {
    const auth = this.config.auth;
    const [scheme, ...restParts] = challenge.split(' ');
    const params = parseChallenge(restParts.join(' '));
    if (/^basic$/i.test(scheme)) {
      if (!auth?.username) throw new ImagePullError('unauthorized', `${this.registry} needs a user name and password`);
      this.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
      return;
    }
    if (!/^bearer$/i.test(scheme) || !params.realm) throw new ImagePullError('unauthorized', `${this.registry} asked for authentication it does not describe ("${challenge.slice(0, 100)}")`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.repository}:pull`);
    const headers: Record<string, string> = {};
    if (auth?.username) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
    let res: IncomingMessage;
    try {
      res = await httpGet(url.toString(), { headers, ca: this.config.ca, signal: this.signal });
    } catch (err) {
      throw new ImagePullError('unreachable', `token service ${url.host}: ${(err as Error).message}`, err);
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new ImagePullError('unauthorized', `token service ${url.host} refused (HTTP ${res.statusCode})`);
    }
    const body = JSON.parse((await readBody(res, 1024 * 1024)).toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ImagePullError('unauthorized', `token service ${url.host} gave no token`);
    this.authorization = `Bearer ${token}`;
  }
}

/** `realm="https://auth",service="reg",scope="repository:x:pull"` → fields. */
export function parseChallenge(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) out[m[1].toLowerCase()] = m[2];
  return out;
}

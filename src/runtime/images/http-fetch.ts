import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/** A GET with redirects over node:http(s), so that a registry's own CA can be trusted per request. */
export interface FetchOptions {
  headers?: Record<string, string>;
  ca?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;

export async function httpGet(url: string, options: FetchOptions = {}): Promise<IncomingMessage> {
  let current = new URL(url);
  let headers = { ...(options.headers ?? {}) };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await once(current, headers, options);
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      const next = new URL(location, current);
      // Credentials are for the registry, never for the storage a blob redirects to.
      if (next.host !== current.host) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      current = next;
      continue;
    }
    return res;
  }
  throw new Error(`too many redirects from ${url}`);
}

function once(url: URL, headers: Record<string, string>, options: FetchOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, { headers, ...(url.protocol === 'https:' && options.ca ? { ca: options.ca } : {}), signal: options.signal }, resolve);
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error(`timed out talking to ${url.host}`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

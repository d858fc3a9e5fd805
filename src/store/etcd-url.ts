import { OrchestrationError } from '../types/errors.js';

/** How to reach an etcd cluster and where in it this cluster's keys live. */
export interface EtcdStoreOptions {
  /** `http://host:port` or `https://host:port`, one per member; all of one scheme. */
  endpoints: string[];
  /** Prepended to every key, so several clusters can share one etcd (`/orchestrator/prod`). */
  prefix?: string;
  /** TLS files (PEM). A CA alone verifies the servers; cert and key add a client certificate. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** etcd's own user/password auth. */
  auth?: { username: string; password: string };
  /**
   * Deadline of one request (ms). Bounds how long a call can wait while etcd has no quorum before
   * it fails with `Unavailable`; 5 s covers an etcd leader election (1 s by default) with room.
   */
  requestTimeoutMs?: number;
}

/**
 * Reads `--store` values of the form
 * `etcd://[user[:password]@]h1:2379[,h2:2379…][/key/prefix][?ca=F&cert=F&key=F&timeout=MS]`.
 * `etcds://` (or any of ca/cert/key) means TLS. User and password are percent-decoded.
 */
export function parseEtcdUrl(url: string): EtcdStoreOptions {
  const m = /^(etcds?):\/\/(?:([^@/]*)@)?([^/?]+)([^?]*)(?:\?(.*))?$/.exec(url.trim());
  if (!m) throw OrchestrationError.invalidInput([{ path: 'store', message: `not an etcd URL: ${url} (expected etcd://host:port[,host:port…][/prefix])` }], 'store option');
  const [, scheme, userinfo, hostList, path, query] = m;
  const params = new URLSearchParams(query ?? '');
  const tls = { caFile: params.get('ca') ?? undefined, certFile: params.get('cert') ?? undefined, keyFile: params.get('key') ?? undefined };
  const secure = scheme === 'etcds' || Object.values(tls).some((v) => v !== undefined);
  const hosts = hostList.split(',').map((h) => h.trim()).filter(Boolean);
  for (const h of hosts) {
    if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(h)) {
      throw OrchestrationError.invalidInput([{ path: 'store', message: `bad etcd endpoint "${h}" (expected host:port)` }], 'store option');
    }
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw OrchestrationError.invalidInput([{ path: 'store', message: 'etcd TLS needs both cert= and key= (or neither)' }], 'store option');
  }
  const options: EtcdStoreOptions = { endpoints: hosts.map((h) => `${secure ? 'https' : 'http'}://${h}`) };
  const prefix = decodeURIComponent(path.replace(/\/+$/, ''));
  if (prefix) options.prefix = prefix;
  if (secure && Object.values(tls).some((v) => v !== undefined)) options.tls = tls;
  if (userinfo) {
    const [user, ...rest] = userinfo.split(':');
    options.auth = { username: decodeURIComponent(user), password: decodeURIComponent(rest.join(':')) };
  }
  const timeout = params.get('timeout');
  if (timeout !== null) {
    const ms = Number(timeout);
    if (!Number.isInteger(ms) || ms <= 0) throw OrchestrationError.invalidInput([{ path: 'store', message: `timeout must be a positive number of ms, not "${timeout}"` }], 'store option');
    options.requestTimeoutMs = ms;
  }
  return options;
}

import type { Etcd3, ICompare, IKeyValue, IRequestOp, IResponseHeader } from 'etcd3';
import { OrchestrationError } from '../types/errors.js';
import type { Logger } from '../types/logger.js';
import { silentLogger } from '../types/logger.js';
import { createEtcdClient, DEFAULT_REQUEST_TIMEOUT_MS, etcdError } from './etcd-client.js';
import { EtcdKeepAlive } from './etcd-keepalive.js';
import { parseEtcdUrl, type EtcdStoreOptions } from './etcd-url.js';
import { EtcdWatch } from './etcd-watch.js';
import type { CommitResult, KeyValue, ListOptions, ListResult, StateStore, WatchHandlers, Watcher, WriteOp } from './state-store.js';

/** Keys read per range request when a list is longer: every page is read at the first page's revision. */
const LIST_PAGE = 1_000;
/** `healthy()` answers within this, whatever the request timeout. */
const HEALTH_TIMEOUT_MS = 2_000;

export interface CommitOptions {
  /** etcd lease the written keys are attached to: they vanish when it expires (leader key, replica records). */
  lease?: string;
}

/**
 * The StateStore on an etcd v3 cluster, for control planes that run as several replicas.
 *
 * Revisions are etcd's own (store-wide, so with a key prefix they also count other prefixes'
 * writes: they grow, but not by one). A commit is one etcd transaction: guards are `mod_revision`
 * compares (0: the key must not exist), `check` ops are compares only; on a lost race the
 * transaction's else-branch reads the guarded keys so the result says which one and what it is.
 * Lists are range reads at one revision, paged. Watches are etcd watches (see EtcdWatch).
 *
 * Every call has a deadline and asks for a member with a leader, so while etcd is unreachable or
 * without quorum calls fail within seconds with `Unavailable` rather than hang.
 *
 * Beyond StateStore it offers leases (`grantLease`, `renewLease`, `revokeLease`, `commit(…, {lease})`)
 * for leader election and replica registration.
 */
export class EtcdStateStore implements StateStore {
  readonly name = 'etcd';
  /** etcd's default --max-txn-ops. */
  readonly maxOpsPerCommit = 128;
  readonly prefix: string;
  private readonly client: Etcd3;
  private readonly timeoutMs: number;
  private readonly keepAlive: EtcdKeepAlive;
  private readonly watches = new Set<EtcdWatch>();
  private readonly log: Logger;
  /** Highest revision any response has shown: where a watch "from now on" starts. */
  private seenRevision = 0;
  private closed = false;

  constructor(options: EtcdStoreOptions, logger: Logger = silentLogger) {
    this.prefix = options.prefix ?? '';
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.client = createEtcdClient(options);
    this.keepAlive = new EtcdKeepAlive(this.client);
    this.log = logger.child({ component: 'etcd-store' });
  }

  /** Connects and reads the current revision, so the first watch "from now on" starts at the right place. */
  static async open(options: EtcdStoreOptions | string, logger?: Logger): Promise<EtcdStateStore> {
    const store = new EtcdStateStore(typeof options === 'string' ? parseEtcdUrl(options) : options, logger);
    try {
      await store.revision();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call('get', () => this.client.kv.range({ key: this.full(key) }));
    return res.kvs[0] ? this.toKeyValue(res.kvs[0]) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = this.full(prefix);
    const end = rangeEnd(start);
    let from = options.after !== undefined && options.after >= prefix ? Buffer.concat([this.full(options.after), Buffer.from([0])]) : start;
    const want = options.limit ?? Infinity;
    const items: KeyValue[] = [];
    let revision: number | undefined;
    for (;;) {
      const pageLimit = Math.min(LIST_PAGE, want - items.length);
      const res = await this.call('list', () => this.client.kv.range({ key: from, range_end: end, limit: pageLimit, ...(revision ? { revision } : {}) }));
      revision ??= Number(res.header.revision);
      items.push(...res.kvs.map((kv) => this.toKeyValue(kv)));
      if (!res.more || res.kvs.length === 0) return { items, revision, more: false };
      if (items.length >= want) return { items, revision, more: true };
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  commit(ops: WriteOp[], options: CommitOptions = {}): Promise<CommitResult> {
    const compare: ICompare[] = [];
    const success: IRequestOp[] = [];
    const guarded: Array<{ key: string; expected: number }> = [];
    // etcd refuses a transaction that writes one key twice; applied in order, the last write wins anyway.
    const lastWrite = new Map<string, WriteOp>();
    for (const op of ops) if (op.op !== 'check') lastWrite.set(op.key, op);
    for (const op of ops) {
      if (op.ifModRevision !== undefined) {
        compare.push({ key: this.full(op.key), target: 'Mod', result: 'Equal', mod_revision: op.ifModRevision });
        guarded.push({ key: op.key, expected: op.ifModRevision });
      }
      if (lastWrite.get(op.key) !== op) continue;
      if (op.op === 'put') success.push({ request_put: { key: this.full(op.key), value: Buffer.from(op.value, 'utf8'), ...(options.lease ? { lease: options.lease } : {}) } });
      else if (op.op === 'delete') success.push({ request_delete_range: { key: this.full(op.key) } });
    }
    const failure: IRequestOp[] = guarded.map((g) => ({ request_range: { key: this.full(g.key), keys_only: true } }));
    return this.call('commit', () => this.client.kv.txn({ compare, success, failure })).then((res): CommitResult => {
      if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
      for (let i = 0; i < guarded.length; i++) {
        const kv = res.responses[i]?.response_range?.kvs[0];
        const actual = kv ? Number(kv.mod_revision) : 0;
        if (actual !== guarded[i].expected) return { ok: false, key: guarded[i].key, expected: guarded[i].expected, actual };
      }
      // Unreachable: the compares and these reads are one atomic transaction.
      return { ok: false, key: guarded[0].key, expected: guarded[0].expected, actual: -1 };
    });
  }

  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): Watcher {
    if (this.closed) throw new OrchestrationError('Unavailable', 'store closed');
    const key = this.full(prefix);
    const watch = new EtcdWatch(
      this.client,
      {
        key,
        rangeEnd: rangeEnd(key),
        // "From now on" is after the newest revision this client has seen (all it has written or
        // read); a store that has seen none yet asks etcd first.
        startRevision: afterRevision !== undefined ? afterRevision + 1 : this.seenRevision > 0 ? this.seenRevision + 1 : async () => (await this.revision()) + 1,
        unprefix: (k) => k.subarray(Buffer.byteLength(this.prefix)).toString('utf8'),
        retryBudgetMs: this.timeoutMs,
      },
      handlers,
      (w) => this.watches.delete(w),
    );
    this.watches.add(watch);
    return watch;
  }

  async revision(): Promise<number> {
    const res = await this.call('revision', () => this.client.kv.range({ key: this.full(''), limit: 1, keys_only: true }));
    return Number(res.header.revision);
  }

  /** True when a linearizable read succeeds within 2 s: etcd is reachable and has a leader with quorum. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('health check timed out')), Math.min(HEALTH_TIMEOUT_MS, this.timeoutMs));
    });
    try {
      await Promise.race([this.client.kv.range({ key: this.full(''), limit: 1, keys_only: true }), timeout]);
      return true;
    } catch (err) {
      this.log.debug({ err: String(err) }, 'etcd health check failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.call('lease grant', () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }));
    return res.ID;
  }

  /** Remaining TTL in seconds after the renewal; 0 when the lease has expired or was revoked. */
  async renewLease(id: string): Promise<number> {
    if (this.closed) throw new OrchestrationError('Unavailable', 'store closed');
    return this.keepAlive.renew(id, this.timeoutMs);
  }

  async revokeLease(id: string): Promise<void> {
    await this.call('lease revoke', () => this.client.leaseClient.leaseRevoke({ ID: id }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.fail(new OrchestrationError('Unavailable', 'store closed'));
    this.keepAlive.close();
    this.client.close();
  }

  private async call<T extends { header?: IResponseHeader }>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new OrchestrationError('Unavailable', 'store closed');
    try {
      const res = await fn();
      const rev = Number(res.header?.revision ?? 0);
      if (rev > this.seenRevision) this.seenRevision = rev;
      return res;
    } catch (err) {
      throw etcdError(err, what);
    }
  }

  /** The etcd key of a store key; the empty key (no prefix, list everything) is `\0`, where etcd ranges start. */
  private full(key: string): Buffer {
    const full = this.prefix + key;
    return full === '' ? Buffer.from([0]) : Buffer.from(full, 'utf8');
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.subarray(Buffer.byteLength(this.prefix)).toString('utf8'),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }
}

/** etcd's range end for "every key starting with `start`"; `\0` (everything) for an empty start. */
function rangeEnd(start: Buffer): Buffer {
  if (start.length === 1 && start[0] === 0) return Buffer.from([0]);
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

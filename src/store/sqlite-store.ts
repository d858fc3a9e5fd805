import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { OrchestrationError } from '../types/errors.js';
import { prefixEnd, type CommitResult, type KeyValue, type ListOptions, type ListResult, type StateStore, type WatchEvent, type WatchHandlers, type Watcher, type WriteOp } from './state-store.js';
import { WatchHub } from './watch-hub.js';

export interface SqliteStoreOptions {
  /**
   * `full` (default) fsyncs every commit: an acknowledged write survives a crash of the machine, not
   * only of the process. `normal` survives `kill -9` of the process but may lose the last commits on
   * power loss, for several times the write rate.
   */
  synchronous?: 'full' | 'normal';
}

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
}

/**
 * The embedded store of a single-machine cluster: one SQLite file in WAL mode. better-sqlite3 is
 * synchronous, so each call holds the event loop for its duration (microseconds for reads, one
 * fsync for each group of commits, see commit).
 */
export class SqliteStateStore implements StateStore {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly hub: WatchHub;
  private rev: number;
  private closed = false;
  private readonly counts = { commits: 0, transactions: 0 };
  /** Commits waiting for the next group commit (see commit). */
  private pending: Array<{ ops: WriteOp[]; resolve: (r: CommitResult) => void; reject: (e: Error) => void }> = [];
  private readonly stmt: {
    get: Database.Statement<[string], Row>;
    modRev: Database.Statement<[string], { mod_rev: number }>;
    listFrom: Database.Statement<[string, string, number], Row>;
    listAfter: Database.Statement<[string, string, number], Row>;
    put: Database.Statement<[string, string, number, number]>;
    del: Database.Statement<[string]>;
    setRev: Database.Statement<[number]>;
  };

  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        create_rev INTEGER NOT NULL,
        mod_rev INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
    `);
    this.stmt = {
      get: this.db.prepare('SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?'),
      modRev: this.db.prepare('SELECT mod_rev FROM kv WHERE key = ?'),
      listFrom: this.db.prepare('SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?'),
      listAfter: this.db.prepare('SELECT key, value, create_rev, mod_rev FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
      put: this.db.prepare(
        'INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev',
      ),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      setRev: this.db.prepare("UPDATE meta SET value = ? WHERE name = 'revision'"),
    };
    this.rev = (this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").get() as { value: number }).value;
    this.hub = new WatchHub(this.rev);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    const row = this.stmt.get.get(key);
    return row && toKeyValue(row);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const limit = options.limit ?? -1;
    const fetch = limit < 0 ? -1 : limit + 1;
    const rows =
      options.after !== undefined && options.after >= prefix
        ? this.stmt.listAfter.all(options.after, prefixEnd(prefix), fetch)
        : this.stmt.listFrom.all(prefix, prefixEnd(prefix), fetch);
    // Reads and commits share the one connection and the event loop, so `this.rev` is the revision
    // the rows were read at.
    const revision = this.rev;
    const more = limit >= 0 && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(toKeyValue), revision, more };
  }

  /**
   * Group commit: commits issued in the same turn of the event loop go into one SQLite transaction
   * and share its fsync, each still with its own revision, its own guards checked against what the
   * commits before it wrote, and its own watch events. A commit resolves only once that transaction
   * is durable. better-sqlite3 holds the event loop during the fsync, so one fsync for many writers
   * is what lets a busy control plane keep serving while it writes.
   */
  commit(ops: WriteOp[]): Promise<CommitResult> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const c of batch) c.reject(new OrchestrationError('Unavailable', 'store closed'));
      return;
    }
    const outcomes: Array<{ result: CommitResult; events: WatchEvent[] }> = [];
    const apply = this.db.transaction(() => {
      let revision = this.rev;
      for (const { ops } of batch) {
        const failed = this.failedGuard(ops);
        if (failed) {
          outcomes.push({ result: failed, events: [] });
          continue;
        }
        revision++;
        outcomes.push({ result: { ok: true, revision }, events: this.applyOps(ops, revision) });
      }
      if (revision !== this.rev) this.stmt.setRev.run(revision);
      return revision;
    });
    let revision: number;
    try {
      revision = apply.immediate();
    } catch (err) {
      const error = new OrchestrationError('StateError', `sqlite commit failed: ${(err as Error).message}`, { cause: err });
      for (const c of batch) c.reject(error);
      return;
    }
    this.rev = revision;
    this.counts.transactions++;
    this.counts.commits += batch.length;
    for (const [k, { result, events }] of outcomes.entries()) {
      if (result.ok) this.hub.publish(result.revision, events);
      batch[k].resolve(result);
    }
  }

  writeStats(): { commits: number; transactions: number } {
    return { ...this.counts };
  }

  private failedGuard(ops: WriteOp[]): CommitResult | undefined {
    for (const op of ops) {
      if (op.ifModRevision === undefined) continue;
      const actual = this.stmt.modRev.get(op.key)?.mod_rev ?? 0;
      if (actual !== op.ifModRevision) return { ok: false, key: op.key, expected: op.ifModRevision, actual };
    }
    return undefined;
  }

  private applyOps(ops: WriteOp[], revision: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.op === 'check') continue;
      const prev = this.stmt.get.get(op.key);
      if (op.op === 'put') {
        this.stmt.put.run(op.key, op.value, prev?.create_rev ?? revision, revision);
        events.push({ type: 'put', key: op.key, value: op.value, prevValue: prev?.value, modRevision: revision });
      } else if (prev) {
        this.stmt.del.run(op.key);
        events.push({ type: 'delete', key: op.key, prevValue: prev.value, modRevision: revision });
      }
    }
    return events;
  }

  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): Watcher {
    this.assertOpen();
    return this.hub.watch(prefix, afterRevision, this.rev, handlers);
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  async healthy(): Promise<boolean> {
    return !this.closed && this.db.open;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.hub.closeAll(new OrchestrationError('Unavailable', 'store closed'));
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new OrchestrationError('Unavailable', 'store closed');
  }
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.mod_rev };
}

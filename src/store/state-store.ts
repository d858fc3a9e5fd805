/**
 * The state store: a revisioned key-value space, the one source of truth for the cluster.
 *
 * Modelled on etcd v3 so the three implementations (memory, SQLite, etcd) mean the same thing:
 * - every commit gets the next store-wide revision; each key remembers the revision that created it
 *   and the one that last changed it (`modRevision`, exposed on objects as `resourceVersion`);
 * - a commit is a list of operations applied all or nothing, each optionally guarded by the key's
 *   expected `modRevision` (0: the key must not exist). A lost race is a value (`ok: false`), not an
 *   exception: callers re-read and decide again;
 * - a watch delivers every change under a prefix after a given revision, in order, grouped by commit.
 *   A revision the store no longer remembers fails the watch with code `Gone`; the watcher relists.
 *
 * Implementations must make an acknowledged commit durable before resolving (SQLite: WAL with
 * synchronous=FULL; etcd: its own quorum fsync).
 */
export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export type WriteOp =
  | { op: 'put'; key: string; value: string; ifModRevision?: number }
  | { op: 'delete'; key: string; ifModRevision?: number }
  /** Asserts a key's modRevision without writing it (a leadership guard, a parent that must exist). */
  | { op: 'check'; key: string; ifModRevision: number };

export type CommitResult =
  | { ok: true; revision: number }
  | { ok: false; key: string; expected: number; actual: number };

export interface ListOptions {
  /** At most this many items; `more` says whether there are others. */
  limit?: number;
  /** Start strictly after this key (paging). */
  after?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list was read at: watch from here to miss nothing. */
  revision: number;
  more: boolean;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** New value (put) — absent for delete. */
  value?: string;
  /** Value before this change, where there was one. */
  prevValue?: string;
  modRevision: number;
}

export interface Watcher {
  close(): void;
}

export interface WatchHandlers {
  /** All events of one commit that fall under the prefix, in order. */
  onEvents(events: WatchEvent[], revision: number): void;
  /** The watch ended: `Gone` when the start revision was compacted, `Unavailable` when the store went away. */
  onError?(err: Error): void;
}

export interface StateStore {
  /** `memory`, `sqlite`, `etcd`: shown by `cluster info`. */
  readonly name: string;
  /**
   * Most operations one commit may hold (etcd refuses transactions over its --max-txn-ops, 128 by
   * default); writers with more split them. Unset: no limit.
   */
  readonly maxOpsPerCommit?: number;
  /** Commits acknowledged and the durable transactions (fsyncs) that carried them, where the store groups commits. */
  writeStats?(): { commits: number; transactions: number };
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  commit(ops: WriteOp[]): Promise<CommitResult>;
  /** Events with modRevision > `afterRevision` (default: from now on). */
  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): Watcher;
  /** The store's current revision. */
  revision(): Promise<number>;
  /** Whether the store can take writes now; the API answers 503 while it cannot. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Smallest string greater than every string that starts with `prefix` (for range scans). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\uffff';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

import type { KeyValue, ListOptions, StateStore, WriteOp } from './state-store.js';

/**
 * A typed view of one kind of object in the store: how its keys are built and its values encoded.
 * Objects are stored as JSON without `resourceVersion`; on the way out `resourceVersion` is the
 * key's modRevision, so it can never disagree with the store.
 */
export class Collection<T extends { resourceVersion: string }> {
  constructor(
    private readonly store: StateStore,
    readonly prefix: string,
    readonly idOf: (obj: T) => string,
  ) {}

  key(id: string): string {
    return this.prefix + id;
  }

  /** The id of the object stored under `key`, or undefined when the key is not this collection's. */
  idFromKey(key: string): string | undefined {
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : undefined;
  }

  decode(kv: Pick<KeyValue, 'value' | 'modRevision'>): T {
    const obj = JSON.parse(kv.value) as T;
    obj.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /** Decode a watch event's value (no revision on the value itself: the caller passes it). */
  decodeValue(value: string, modRevision: number): T {
    return this.decode({ value, modRevision });
  }

  /**
   * The JSON of a stored value as `decode` would give it, written without parsing it: the stored
   * text with `resourceVersion` put in front (watch streams send thousands of these a second).
   */
  jsonWithVersion(value: string, modRevision: number): string {
    const head = `{"resourceVersion":"${modRevision}"`;
    return value === '{}' ? `${head}}` : `${head},${value.slice(1)}`;
  }

  encode(obj: T): string {
    const { resourceVersion: _drop, ...rest } = obj;
    return JSON.stringify(rest);
  }

  async get(id: string): Promise<T | undefined> {
    const kv = await this.store.get(this.key(id));
    return kv && this.decode(kv);
  }

  /** A page of objects; `prefix` narrows it to ids that start with it. */
  async list(options: ListOptions & { prefix?: string } = {}): Promise<{ items: T[]; revision: number; more: boolean }> {
    const { prefix = '', ...page } = options;
    const res = await this.store.list(this.prefix + prefix, page);
    return { items: res.items.map((kv) => this.decode(kv)), revision: res.revision, more: res.more };
  }

  /** Every object (whose id starts with `prefix`), read in pages so a large collection never needs one huge read. */
  async listAll(options: { prefix?: string; pageSize?: number } = {}): Promise<{ items: T[]; revision: number }> {
    const { prefix = '', pageSize = 5000 } = options;
    const items: T[] = [];
    let after: string | undefined;
    let revision = 0;
    for (;;) {
      const page = await this.store.list(this.prefix + prefix, { limit: pageSize, after });
      if (revision === 0) revision = page.revision;
      for (const kv of page.items) items.push(this.decode(kv));
      if (!page.more || page.items.length === 0) return { items, revision };
      after = page.items[page.items.length - 1].key;
    }
  }

  /**
   * A put of `obj`. With `guard` the write only happens if the stored object still has
   * `obj.resourceVersion` (0 or '' for "must not exist yet").
   */
  put(obj: T, guard = true): WriteOp {
    const op: WriteOp = { op: 'put', key: this.key(this.idOf(obj)), value: this.encode(obj) };
    if (guard) op.ifModRevision = Number(obj.resourceVersion || 0);
    return op;
  }

  create(obj: T): WriteOp {
    return { op: 'put', key: this.key(this.idOf(obj)), value: this.encode(obj), ifModRevision: 0 };
  }

  delete(id: string, resourceVersion?: string): WriteOp {
    const op: WriteOp = { op: 'delete', key: this.key(id) };
    if (resourceVersion) op.ifModRevision = Number(resourceVersion);
    return op;
  }
}

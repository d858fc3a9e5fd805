import type { Collection } from './collection.js';
import type { StateStore, Watcher } from './state-store.js';
import { isOrchestrationError } from '../types/errors.js';
import type { Logger } from '../types/logger.js';

export interface InformerHandlers<T> {
  onUpsert?(obj: T, previous: T | undefined): void;
  onDelete?(obj: T): void;
}

/**
 * A watch-fed, in-memory copy of one collection (client-go's informer): lists once, then applies
 * every change from the store's watch, relisting when the watch falls too far behind (`Gone`).
 *
 * The control plane also applies its own successful writes at once (`applyLocal`), so a reconcile
 * that follows a write sees it even before the watch delivers it; a watch event older than what
 * the cache holds is then ignored, by revision.
 */
export class Informer<T extends { resourceVersion: string }> {
  private readonly items = new Map<string, T>();
  /** Deleted ids and the revision of their deletion, until the watch has passed that revision. */
  private readonly tombstones = new Map<string, number>();
  private watcher?: Watcher;
  private stopped = false;
  private synced = false;
  /** Revision up to which the cache reflects the store. */
  revision = 0;

  constructor(
    private readonly store: StateStore,
    private readonly coll: Collection<T>,
    private readonly handlers: InformerHandlers<T>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  get size(): number {
    return this.items.size;
  }

  /** Record a write this process just committed at `revision`. */
  applyLocal(obj: T, revision: number): void {
    obj.resourceVersion = String(revision);
    this.upsert(obj);
  }

  removeLocal(id: string, revision: number): void {
    this.remove(id, revision);
  }

  private async relist(): Promise<void> {
    this.watcher?.close();
    const { items, revision } = await this.coll.listAll();
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(this.coll.idOf(obj));
      this.upsert(obj);
    }
    for (const [id, obj] of [...this.items]) {
      if (!seen.has(id) && Number(obj.resourceVersion) <= revision) this.remove(id, revision);
    }
    this.revision = Math.max(this.revision, revision);
    this.synced = true;
    if (this.stopped) return;
    this.watcher = this.store.watch(this.coll.prefix, revision, {
      onEvents: (events, rev) => {
        for (const e of events) {
          const id = this.coll.idFromKey(e.key);
          if (id === undefined) continue;
          if (e.type === 'put') this.upsert(this.coll.decodeValue(e.value!, e.modRevision));
          else this.remove(id, e.modRevision);
        }
        this.revision = Math.max(this.revision, rev);
        for (const [id, r] of this.tombstones) if (r <= rev) this.tombstones.delete(id);
      },
      onError: (err) => {
        if (this.stopped) return;
        const wait = isOrchestrationError(err, 'Gone') ? 0 : 1000;
        this.log.warn({ err: err.message, prefix: this.coll.prefix }, 'watch ended; relisting');
        setTimeout(() => void this.relist().catch((e) => this.log.error({ err: String(e) }, 'relist failed')), wait).unref();
      },
    });
  }

  private upsert(obj: T): void {
    const id = this.coll.idOf(obj);
    const rev = Number(obj.resourceVersion);
    const dead = this.tombstones.get(id);
    if (dead !== undefined && dead >= rev) return;
    const previous = this.items.get(id);
    if (previous && Number(previous.resourceVersion) >= rev) return;
    this.items.set(id, obj);
    this.handlers.onUpsert?.(obj, previous);
  }

  private remove(id: string, revision: number): void {
    const current = this.items.get(id);
    if (current && Number(current.resourceVersion) > revision) return;
    this.tombstones.set(id, revision);
    if (!current) return;
    this.items.delete(id);
    this.handlers.onDelete?.(current);
  }
}

import { OrchestrationError } from '../types/errors.js';
import { prefixEnd, type CommitResult, type KeyValue, type ListOptions, type ListResult, type StateStore, type WatchEvent, type WatchHandlers, type Watcher, type WriteOp } from './state-store.js';
import { WatchHub } from './watch-hub.js';

/** The store for tests and benchmarks: everything in one Map, lost with the process. */
export class MemoryStateStore implements StateStore {
  readonly name = 'memory';
  private readonly data = new Map<string, KeyValue>();
  private rev = 0;
  private closed = false;
  private readonly hub = new WatchHub(0);

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.data.get(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const end = prefixEnd(prefix);
    const keys = [...this.data.keys()].filter((k) => k >= prefix && k < end && (options.after === undefined || k > options.after)).sort();
    const limit = options.limit ?? Infinity;
    return { items: keys.slice(0, limit).map((k) => this.data.get(k)!), revision: this.rev, more: keys.length > limit };
  }

  async commit(ops: WriteOp[]): Promise<CommitResult> {
    this.assertOpen();
    for (const op of ops) {
      if (op.ifModRevision === undefined) continue;
      const actual = this.data.get(op.key)?.modRevision ?? 0;
      if (actual !== op.ifModRevision) return { ok: false, key: op.key, expected: op.ifModRevision, actual };
    }
    const revision = ++this.rev;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      const prev = this.data.get(op.key);
      if (op.op === 'put') {
        this.data.set(op.key, { key: op.key, value: op.value, createRevision: prev?.createRevision ?? revision, modRevision: revision });
        events.push({ type: 'put', key: op.key, value: op.value, prevValue: prev?.value, modRevision: revision });
      } else if (op.op === 'delete' && prev) {
        this.data.delete(op.key);
        events.push({ type: 'delete', key: op.key, prevValue: prev.value, modRevision: revision });
      }
    }
    this.hub.publish(revision, events);
    return { ok: true, revision };
  }

  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): Watcher {
    this.assertOpen();
    return this.hub.watch(prefix, afterRevision, this.rev, handlers);
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.closeAll(new OrchestrationError('Unavailable', 'store closed'));
  }

  private assertOpen(): void {
    if (this.closed) throw new OrchestrationError('Unavailable', 'store closed');
  }
}

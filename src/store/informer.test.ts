import { afterEach, describe, expect, it } from 'vitest';
import { OrchestrationError } from '../types/errors.js';
import { silentLogger } from '../types/logger.js';
import { Collection } from './collection.js';
import { Informer } from './informer.js';
import { MemoryStateStore } from './memory-store.js';
import type { WatchHandlers, Watcher } from './state-store.js';

interface Thing {
  id: string;
  v: number;
  resourceVersion: string;
}

/** A memory store whose live watch the test can end with an error, as a compacted etcd would. */
class BreakableStore extends MemoryStateStore {
  live: WatchHandlers[] = [];
  watches = 0;
  /** While set, watch events are lost (a broken connection). */
  muted = false;
  override watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): Watcher {
    this.watches++;
    this.live.push(handlers);
    return super.watch(prefix, afterRevision, { onEvents: (e, r) => (this.muted ? undefined : handlers.onEvents(e, r)), onError: (err) => handlers.onError?.(err) });
  }
}

let kv: BreakableStore;
let coll: Collection<Thing>;
let informer: Informer<Thing>;
let log: string[];
let changed: () => void;

async function put(t: Omit<Thing, 'resourceVersion'>): Promise<number> {
  const res = await kv.commit([coll.put({ ...t, resourceVersion: '0' }, false)]);
  if (!res.ok) throw new Error('put failed');
  return res.revision;
}

/** Resolves after the next handler call. */
function nextChange(): Promise<void> {
  return new Promise((resolve) => (changed = resolve));
}

async function start(): Promise<void> {
  kv = kv ?? new BreakableStore();
  coll = new Collection<Thing>(kv, '/things/', (t) => t.id);
  log = [];
  changed = () => {};
  informer = new Informer(kv, coll, {
    onUpsert: (t, prev) => {
      log.push(`${prev ? 'update' : 'add'} ${t.id}=${t.v}@${t.resourceVersion}`);
      changed();
    },
    onDelete: (t) => {
      log.push(`delete ${t.id}`);
      changed();
    },
  }, silentLogger);
  await informer.start();
}

afterEach(() => {
  informer?.stop();
  kv = undefined as unknown as BreakableStore;
});

describe('Informer', () => {
  it('lists what exists, then follows puts and deletes from the watch', async () => {
    kv = new BreakableStore();
    coll = new Collection<Thing>(kv, '/things/', (t) => t.id);
    await put({ id: 'a', v: 1 });
    await start();
    expect(informer.hasSynced).toBe(true);
    expect(log).toEqual(['add a=1@1']);
    let seen = nextChange();
    const rev = await put({ id: 'a', v: 2 });
    await seen;
    expect(informer.get('a')).toEqual({ id: 'a', v: 2, resourceVersion: String(rev) });
    seen = nextChange();
    await kv.commit([coll.delete('a')]);
    await seen;
    expect(informer.get('a')).toBeUndefined();
    expect(log).toEqual(['add a=1@1', 'update a=2@2', 'delete a']);
    expect(informer.revision).toBe(3);
  });

  it('keeps a local write and ignores an older watch event that arrives after it', async () => {
    await start();
    const [handlers] = kv.live;
    informer.applyLocal({ id: 'a', v: 5, resourceVersion: '0' }, 10);
    handlers.onEvents([{ type: 'put', key: '/things/a', value: JSON.stringify({ id: 'a', v: 1 }), modRevision: 7 }], 7);
    expect(informer.get('a')).toMatchObject({ v: 5, resourceVersion: '10' });
    handlers.onEvents([{ type: 'put', key: '/things/a', value: JSON.stringify({ id: 'a', v: 6 }), modRevision: 11 }], 11);
    expect(informer.get('a')).toMatchObject({ v: 6, resourceVersion: '11' });
    expect(log).toEqual(['add a=5@10', 'update a=6@11']);
  });

  it('does not bring back an object deleted locally when an older put arrives late', async () => {
    await start();
    const [handlers] = kv.live;
    informer.applyLocal({ id: 'a', v: 1, resourceVersion: '0' }, 5);
    informer.removeLocal('a', 8);
    handlers.onEvents([{ type: 'put', key: '/things/a', value: JSON.stringify({ id: 'a', v: 2 }), modRevision: 7 }], 7);
    expect(informer.get('a')).toBeUndefined();
    // Once the watch has passed the deletion, a newer put is a new object.
    handlers.onEvents([{ type: 'delete', key: '/things/a', modRevision: 8 }], 8);
    handlers.onEvents([{ type: 'put', key: '/things/a', value: JSON.stringify({ id: 'a', v: 3 }), modRevision: 9 }], 9);
    expect(informer.get('a')).toMatchObject({ v: 3 });
    expect(log).toEqual(['add a=1@5', 'delete a', 'add a=3@9']);
  });

  it('relists when the watch says Gone: objects deleted meanwhile are dropped, new ones added, and it watches again', async () => {
    kv = new BreakableStore();
    coll = new Collection<Thing>(kv, '/things/', (t) => t.id);
    await put({ id: 'stays', v: 1 });
    await put({ id: 'goes', v: 1 });
    await start();
    const [handlers] = kv.live;
    // While the watch is broken the store changes without the informer hearing of it.
    kv.muted = true;
    const relisted = new Promise<void>((resolve) => {
      const check = () => (informer.get('new') && !informer.get('goes') ? resolve() : undefined);
      changed = check;
    });
    await kv.commit([coll.delete('goes')]);
    await put({ id: 'new', v: 1 });
    await new Promise((r) => setImmediate(r));
    expect(informer.get('goes')).toBeDefined();
    kv.muted = false;
    handlers.onError!(new OrchestrationError('Gone', 'compacted'));
    await relisted;
    expect(kv.watches).toBe(2);
    expect([...informer.values()].map((t) => t.id).sort()).toEqual(['new', 'stays']);
    expect(log.filter((l) => l.startsWith('delete'))).toEqual(['delete goes']);
  });
});

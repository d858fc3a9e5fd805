import type { EventSink } from '../lib/event-recorder.js';
import { inCommitSizedChunks } from './chunks.js';
import type { ClusterStore } from './cluster-store.js';

/**
 * Writes recorded events to the store and keeps only the newest `maxEvents` (Kubernetes keeps an
 * hour; a count bounds the store's size however busy the cluster is).
 */
export function storeEventSink(store: ClusterStore, maxEvents = 10_000): EventSink {
  let sinceTrim = 0;
  return async (events) => {
    for (const part of inCommitSizedChunks(store.kv, events)) await store.commit(part.map((e) => store.events.put({ ...e, resourceVersion: '0' }, false)));
    sinceTrim += events.length;
    if (sinceTrim < Math.max(100, maxEvents / 10)) return;
    sinceTrim = 0;
    const all = await store.kv.list(store.events.prefix);
    const excess = all.items.length - maxEvents;
    if (excess > 0) for (const part of inCommitSizedChunks(store.kv, all.items.slice(0, excess))) await store.commit(part.map((kv) => ({ op: 'delete' as const, key: kv.key })));
  };
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Collection } from '../store/collection.js';
import type { StateStore, Watcher } from '../store/state-store.js';

/** Output a watch stream may have waiting for its reader before it stops taking events. */
export const PAUSE_ABOVE_BYTES = 4 * 1024 * 1024;

export interface WatchOptions<T> {
  sinceRevision?: number;
  filter?: (obj: T) => boolean;
}

/**
 * A watch as server-sent events: `event: PUT|DELETE`, `id: <revision>`, `data: <object>`. A
 * `BOOKMARK` carries the revision reached while nothing matched (so a client resumes cheaply), and
 * `ERROR` ends the stream (code `Gone`: list again). A comment line every 15 s keeps proxies from
 * closing an idle stream.
 */
export function streamWatch<T extends { resourceVersion: string }>(
  req: FastifyRequest,
  reply: FastifyReply,
  store: StateStore,
  coll: Collection<T>,
  options: WatchOptions<T>,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': watching\n\n');
  let lastBookmark = Date.now();
  let closed = false;
  let watcher: Watcher | undefined;
  const follow = (after: number | undefined) => {
    watcher = store.watch(coll.prefix, after, {
      onEvents(events, revision) {
        let wrote = false;
        for (const e of events) {
          const raw = e.type === 'put' ? e.value : e.prevValue;
          if (raw === undefined) continue;
          if (options.filter && !options.filter(coll.decodeValue(raw, e.modRevision))) {
            // A put that moves an object out of the filter (an instance re-bound elsewhere) is a
            // delete for this watcher.
            if (e.type === 'put' && e.prevValue !== undefined && options.filter(coll.decodeValue(e.prevValue, e.modRevision))) {
              res.write(`event: DELETE\nid: ${revision}\ndata: ${coll.jsonWithVersion(raw, e.modRevision)}\n\n`);
              wrote = true;
            }
            continue;
          }
          res.write(`event: ${e.type === 'put' ? 'PUT' : 'DELETE'}\nid: ${revision}\ndata: ${coll.jsonWithVersion(raw, e.modRevision)}\n\n`);
          wrote = true;
        }
        if (!wrote && Date.now() - lastBookmark > 1000) {
          res.write(`event: BOOKMARK\nid: ${revision}\ndata: {}\n\n`);
          lastBookmark = Date.now();
        }
        // A reader slower than the cluster changes: stop taking events rather than buffer them
        // without bound, and go on from this revision once it has read what it has (the store's
        // history replays the gap; a gap it no longer holds ends the stream with Gone).
        if (res.writableLength > PAUSE_ABOVE_BYTES) {
          watcher?.close();
          watcher = undefined;
          res.once('drain', () => {
            if (!closed) follow(revision);
          });
        }
      },
      onError(err) {
        const code = (err as { code?: string }).code ?? 'Unavailable';
        res.write(`event: ERROR\ndata: ${JSON.stringify({ error: { code, message: err.message } })}\n\n`);
        res.end();
      },
    });
  };
  follow(options.sinceRevision);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  const close = () => {
    closed = true;
    clearInterval(ping);
    watcher?.close();
  };
  req.raw.on('close', close);
  res.on('close', close);
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Collection } from '../store/collection.js';
import type { StateStore } from '../store/state-store.js';

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
  const watcher = store.watch(coll.prefix, options.sinceRevision, {
    onEvents(events, revision) {
      let wrote = false;
      for (const e of events) {
        const raw = e.type === 'put' ? e.value : e.prevValue;
        if (raw === undefined) continue;
        const obj = coll.decodeValue(raw, e.modRevision);
        if (options.filter && !options.filter(obj)) {
          // A put that moves an object out of the filter (an instance re-bound elsewhere) is a
          // delete for this watcher.
          if (e.type === 'put' && e.prevValue !== undefined && options.filter(coll.decodeValue(e.prevValue, e.modRevision))) {
            res.write(`event: DELETE\nid: ${revision}\ndata: ${JSON.stringify(obj)}\n\n`);
            wrote = true;
          }
          continue;
        }
        res.write(`event: ${e.type === 'put' ? 'PUT' : 'DELETE'}\nid: ${revision}\ndata: ${JSON.stringify(obj)}\n\n`);
        wrote = true;
      }
      if (!wrote && Date.now() - lastBookmark > 1000) {
        res.write(`event: BOOKMARK\nid: ${revision}\ndata: {}\n\n`);
        lastBookmark = Date.now();
      }
    },
    onError(err) {
      const code = (err as { code?: string }).code ?? 'Unavailable';
      res.write(`event: ERROR\ndata: ${JSON.stringify({ error: { code, message: err.message } })}\n\n`);
      res.end();
    },
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  const close = () => {
    clearInterval(ping);
    watcher.close();
  };
  req.raw.on('close', close);
  res.on('close', close);
}

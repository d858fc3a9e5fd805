import { OrchestrationError } from '../types/errors.js';
import type { WatchEvent, WatchHandlers, Watcher } from './state-store.js';

interface Subscription {
  prefix: string;
  handlers: WatchHandlers;
  closed: boolean;
  /** Highest revision handed to this watcher: nothing at or below it is delivered again. */
  delivered: number;
}

/**
 * Fans committed changes out to watchers, and keeps a window of recent history so a watcher can
 * resume from a revision it last saw. Used by the single-process stores (memory, SQLite); etcd has
 * its own. Delivery is asynchronous (a microtask after the commit returns) so a handler never runs
 * inside the writer's transaction, and always in commit order.
 */
export class WatchHub {
  private readonly subs = new Set<Subscription>();
  /** Recent commits, oldest first from `head`: [revision, events]. */
  private history: Array<[number, WatchEvent[]]> = [];
  /** Index of the oldest kept entry (dropping from the front by index, not `shift`, keeps trims O(1)). */
  private head = 0;
  private historyEvents = 0;
  /** Oldest revision a watch may start after without being told `Gone`. */
  private compactedThrough: number;

  constructor(
    startRevision: number,
    /** Events kept for resuming watches; older starts get `Gone`. */
    private readonly maxHistoryEvents = 50_000,
  ) {
    this.compactedThrough = startRevision;
  }

  publish(revision: number, events: WatchEvent[]): void {
    if (events.length === 0) return;
    this.history.push([revision, events]);
    this.historyEvents += events.length;
    while (this.historyEvents > this.maxHistoryEvents && this.history.length - this.head > 1) {
      const [rev, dropped] = this.history[this.head++];
      this.historyEvents -= dropped.length;
      this.compactedThrough = rev;
    }
    if (this.head > 4096 && this.head * 2 > this.history.length) {
      this.history = this.history.slice(this.head);
      this.head = 0;
    }
    if (this.subs.size === 0) return;
    queueMicrotask(() => {
      for (const sub of this.subs) this.deliver(sub, revision, events);
    });
  }

  watch(prefix: string, afterRevision: number | undefined, currentRevision: number, handlers: WatchHandlers): Watcher {
    const sub: Subscription = { prefix, handlers, closed: false, delivered: afterRevision ?? currentRevision };
    const close = () => {
      sub.closed = true;
      this.subs.delete(sub);
    };
    if (afterRevision !== undefined && afterRevision < currentRevision) {
      if (afterRevision < this.compactedThrough) {
        queueMicrotask(() => {
          if (!sub.closed) handlers.onError?.(new OrchestrationError('Gone', `revision ${afterRevision} has been compacted (oldest available is ${this.compactedThrough}); list again`));
        });
        return { close };
      }
      // Replay what the watcher missed, then go live. A commit published before this microtask
      // runs is in the history (so replayed here) and its own delivery is skipped by `delivered`.
      queueMicrotask(() => {
        for (let k = this.head; k < this.history.length; k++) {
          const [rev, events] = this.history[k];
          if (rev > afterRevision) this.deliver(sub, rev, events);
        }
        if (!sub.closed) this.subs.add(sub);
      });
      return { close };
    }
    this.subs.add(sub);
    return { close };
  }

  closeAll(err: Error): void {
    for (const sub of this.subs) {
      sub.closed = true;
      sub.handlers.onError?.(err);
    }
    this.subs.clear();
  }

  private deliver(sub: Subscription, revision: number, events: WatchEvent[]): void {
    if (sub.closed || revision <= sub.delivered) return;
    sub.delivered = revision;
    const mine = sub.prefix === '' ? events : events.filter((e) => e.key.startsWith(sub.prefix));
    if (mine.length > 0) sub.handlers.onEvents(mine, revision);
  }
}

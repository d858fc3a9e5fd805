import { randomBytes } from 'node:crypto';
import type { ClusterEventRecord, EventInput } from '../types/event.js';
import type { Logger } from '../types/logger.js';

export type EventSink = (events: ClusterEventRecord[]) => Promise<void>;

/**
 * Records events without slowing down whoever reports them: events are buffered and flushed in
 * one batch every `flushMs`; the same event (object, reason, message) seen again within the window
 * is counted, not repeated, as Kubernetes aggregates them. Losing an event when the process dies is
 * acceptable — events explain, they are not state.
 */
export class EventRecorder {
  private buffer = new Map<string, ClusterEventRecord>();
  private timer?: ReturnType<typeof setTimeout>;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
    private readonly flushMs = 200,
  ) {}

  record(input: EventInput): void {
    const key = `${input.object.kind}/${input.object.id}/${input.reason}/${input.message}`;
    const now = new Date().toISOString();
    const existing = this.buffer.get(key);
    if (existing) {
      existing.count++;
      existing.time = now;
    } else {
      this.buffer.set(key, { ...input, eventId: eventId(now), time: now, firstTime: now, count: 1 });
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  normal(object: EventInput['object'], reason: string, message: string, extra: Partial<EventInput> = {}): void {
    this.record({ type: 'Normal', object, reason, message, source: extra.source ?? 'control-plane', ...extra });
  }

  warning(object: EventInput['object'], reason: string, message: string, extra: Partial<EventInput> = {}): void {
    this.record({ type: 'Warning', object, reason, message, source: extra.source ?? 'control-plane', ...extra });
  }

  /** Writes what is buffered; resolves when written (or given up on). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.buffer.values()];
    this.buffer = new Map();
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.sink(batch).catch((err) => this.log.warn({ err: String(err), count: batch.length }, 'could not write events')),
    );
    return this.flushing;
  }
}

/** This process's part of event ids: ids are made by the thousand, a random draw for each is too slow. */
const processTag = randomBytes(3).toString('hex');
let sequence = 0;

/** Sortable by time, unique: `20261128T093012.123Z-a1b2c3` + this process's sequence number. */
export function eventId(iso: string): string {
  sequence = (sequence + 1) % 0x7fffffff;
  return `${iso.replace(/[-:]/g, '')}-${processTag}${sequence.toString(36)}`;
}

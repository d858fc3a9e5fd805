import { GRPCUnavailableError, type Etcd3, type IDuplexStream, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { OrchestrationError } from '../types/errors.js';
import { etcdError } from './etcd-client.js';
import type { WatchEvent, WatchHandlers, Watcher } from './state-store.js';

export interface EtcdWatchSpec {
  /** Full etcd keys (store prefix applied). */
  key: Buffer;
  rangeEnd: Buffer;
  /** First revision to deliver, or how to learn it ("from now on" before the store has seen any revision). */
  startRevision: number | (() => Promise<number>);
  /** Maps a full etcd key back to the store's key. */
  unprefix(key: Buffer): string;
  /** How long a watch keeps trying to get back on a member with a leader before it gives up with `Unavailable`. */
  retryBudgetMs: number;
}

/**
 * One StateStore watch on its own etcd watch stream. Events of one revision are delivered together,
 * in revision order.
 *
 * A blip — a member dying, etcd electing a new leader — is ridden through: the stream is opened
 * again (on whichever member answers) from the revision after the last one delivered, so nothing
 * is missed or repeated. When that has not worked for `retryBudgetMs`, or the store closes, the
 * watch ends with `Unavailable`; when the revision to resume from was compacted, with `Gone`.
 * Either way the watcher restarts or relists, as the StateStore contract says.
 */
export class EtcdWatch implements Watcher {
  private stream?: IDuplexStream<IWatchRequest, IWatchResponse>;
  private ended = false;
  /** When the current run of failures began; undefined while the watch is established. */
  private failingSince?: number;
  /** Highest revision handed to the watcher; the stream (re)starts after it. Unset until the start is known. */
  private delivered?: number;

  constructor(
    private readonly client: Etcd3,
    private readonly spec: EtcdWatchSpec,
    private readonly handlers: WatchHandlers,
    private readonly onEnd: (w: EtcdWatch) => void,
  ) {
    if (typeof spec.startRevision === 'number') this.delivered = spec.startRevision - 1;
    void this.open();
  }

  close(): void {
    this.finish(undefined);
  }

  /** Ends the watch and tells the watcher why (used when the store closes). */
  fail(err: Error): void {
    this.finish(err);
  }

  private async open(): Promise<void> {
    if (this.ended) return;
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      if (this.delivered === undefined) this.delivered = (await (this.spec.startRevision as () => Promise<number>)()) - 1;
      stream = await this.client.watchClient.watch();
    } catch (err) {
      this.retryOrEnd(err);
      return;
    }
    if (this.ended) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream
      .on('data', (res) => this.onResponse(res))
      .on('error', (err) => this.stream === stream && this.retryOrEnd(err))
      .on('end', () => this.stream === stream && this.retryOrEnd(new OrchestrationError('Unavailable', 'etcd ended the watch stream')));
    stream.write({ create_request: { key: this.spec.key, range_end: this.spec.rangeEnd, start_revision: this.delivered! + 1, prev_kv: true } });
  }

  private retryOrEnd(err: unknown): void {
    if (this.ended) return;
    const now = Date.now();
    this.failingSince ??= now;
    if (!transient(err) || now - this.failingSince >= this.spec.retryBudgetMs) {
      this.finish(etcdError(err, 'watch'));
      return;
    }
    const stream = this.stream;
    this.stream = undefined;
    try {
      stream?.cancel();
    } catch {
      /* already gone */
    }
    setTimeout(() => void this.open(), 100);
  }

  private onResponse(res: IWatchResponse): void {
    if (this.ended) return;
    if (res.canceled) {
      const compacted = Number(res.compact_revision);
      if (compacted > 0) this.finish(new OrchestrationError('Gone', `revision ${this.delivered} has been compacted (oldest available is ${compacted}); list again`));
      else this.retryOrEnd(new Error(res.cancel_reason || 'watch canceled by etcd'));
      return;
    }
    if (res.created) this.failingSince = undefined;
    let batch: WatchEvent[] = [];
    let batchRev = 0;
    const flush = () => {
      if (!this.ended && batch.length > 0 && batchRev > this.delivered!) {
        this.delivered = batchRev;
        this.handlers.onEvents(batch, batchRev);
      }
      batch = [];
    };
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev !== batchRev) {
        flush();
        batchRev = rev;
      }
      const key = this.spec.unprefix(ev.kv.key);
      const prevValue = ev.prev_kv ? ev.prev_kv.value.toString('utf8') : undefined;
      batch.push(
        ev.type === 'Put'
          ? { type: 'put', key, value: ev.kv.value.toString('utf8'), prevValue, modRevision: rev }
          : { type: 'delete', key, prevValue, modRevision: rev },
      );
    }
    flush();
  }

  private finish(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      try {
        stream.cancel();
      } catch {
        /* already gone */
      }
    }
    this.onEnd(this);
    if (err) this.handlers.onError?.(err);
  }
}

/** Worth opening the watch again: a member unreachable (gRPC 14, raw on streams), or etcd between leaders. */
function transient(err: unknown): boolean {
  if (err instanceof GRPCUnavailableError || (err as { code?: unknown })?.code === 14) return true;
  if (err instanceof OrchestrationError) return err.code === 'Unavailable';
  return err instanceof Error && /no leader|leader changed|stream ended|Connection dropped|ECONNREFUSED|member cooling down/.test(err.message);
}

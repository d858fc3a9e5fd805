import { GRPCUnavailableError, type Etcd3, type IDuplexStream, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { OrchestrationError } from '../types/errors.js';
import { etcdError } from './etcd-client.js';
import type { WatchEvent, WatchHandlers, Watcher } from './state-store.js';

export interface EtcdWatchSpec {
  /** Full etcd keys (store prefix applied). */
  key: Buffer;
  rangeEnd: Buffer;
  /** First revision to deliver. */
  startRevision: number;
  /** Maps a full etcd key back to the store's key. */
  unprefix(key: Buffer): string;
  /** How long to keep trying members until one accepts the watch. */
  connectBudgetMs: number;
}

/**
 * One StateStore watch on its own etcd watch stream. It never reconnects by itself: when the
 * stream fails (member gone, no leader, store closed) `onError` gets `Unavailable`, and when the
 * start revision was compacted it gets `Gone`; either way the watcher resumes or relists, as the
 * StateStore contract says. Events of one revision are delivered together, in revision order.
 */
export class EtcdWatch implements Watcher {
  private stream?: IDuplexStream<IWatchRequest, IWatchResponse>;
  private ended = false;
  private created = false;
  private readonly openedAt = Date.now();
  private delivered: number;

  constructor(
    private readonly client: Etcd3,
    private readonly spec: EtcdWatchSpec,
    private readonly handlers: WatchHandlers,
    private readonly onEnd: (w: EtcdWatch) => void,
  ) {
    this.delivered = spec.startRevision - 1;
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
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.client.watchClient.watch();
    } catch (err) {
      this.finish(etcdError(err, 'watch'));
      return;
    }
    if (this.ended) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream
      .on('data', (res) => this.onResponse(res))
      .on('error', (err) => this.onStreamError(stream, err))
      .on('end', () => this.stream === stream && this.finish(new OrchestrationError('Unavailable', 'etcd ended the watch stream')));
    stream.write({ create_request: { key: this.spec.key, range_end: this.spec.rangeEnd, start_revision: this.spec.startRevision, prev_kv: true } });
  }

  /**
   * Before etcd has accepted the watch, a member that cannot be reached is skipped: the watch is
   * opened again (the client picks another member) while the budget lasts. Once it is running, a
   * failure ends it, as the contract says.
   */
  private onStreamError(stream: IDuplexStream<IWatchRequest, IWatchResponse>, err: Error): void {
    if (this.ended || this.stream !== stream) return;
    if (!this.created && unreachable(err) && Date.now() - this.openedAt < this.spec.connectBudgetMs) {
      this.stream = undefined;
      setTimeout(() => void this.open(), 50);
      return;
    }
    this.finish(etcdError(err, 'watch'));
  }

  private onResponse(res: IWatchResponse): void {
    if (this.ended) return;
    if (res.created && !res.canceled) this.created = true;
    if (res.canceled) {
      const compacted = Number(res.compact_revision);
      this.finish(
        compacted > 0
          ? new OrchestrationError('Gone', `revision ${this.spec.startRevision - 1} has been compacted (oldest available is ${compacted}); list again`)
          : etcdError(new Error(res.cancel_reason || 'watch canceled by etcd'), 'watch'),
      );
      return;
    }
    let batch: WatchEvent[] = [];
    let batchRev = 0;
    const flush = () => {
      if (!this.ended && batch.length > 0 && batchRev > this.delivered) {
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

/** gRPC UNAVAILABLE (14): the member could not be reached; raw stream errors are not cast by etcd3. */
function unreachable(err: Error): boolean {
  return err instanceof GRPCUnavailableError || (err as { code?: unknown }).code === 14;
}

import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { OrchestrationError } from '../types/errors.js';
import { etcdError } from './etcd-client.js';

interface Pending {
  resolve(ttl: number): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Lease renewals over one etcd keepalive stream, one request and one answer at a time per lease.
 * A renewal that gets no answer within its deadline, or a stream that fails, rejects with
 * `Unavailable`; the next renewal opens a fresh stream (possibly on another member).
 */
export class EtcdKeepAlive {
  private stream?: Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>>;
  private readonly pending = new Map<string, Pending[]>();

  constructor(private readonly client: Etcd3) {}

  /** Renews lease `id`; resolves with its remaining TTL in seconds, 0 when etcd no longer has it. */
  async renew(id: string, timeoutMs: number): Promise<number> {
    const stream = await this.open();
    return new Promise<number>((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.drop(entry, id);
          reject(new OrchestrationError('Unavailable', `etcd did not answer a lease renewal within ${timeoutMs} ms`));
          this.reset(new OrchestrationError('Unavailable', 'keepalive stream stalled'));
        }, timeoutMs),
      };
      const queue = this.pending.get(id) ?? [];
      queue.push(entry);
      this.pending.set(id, queue);
      stream.write({ ID: id });
    });
  }

  close(): void {
    this.reset(new OrchestrationError('Unavailable', 'store closed'));
  }

  private open(): Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> {
    if (this.stream) return this.stream;
    const opening = this.client.leaseClient.leaseKeepAlive().then((s) => {
      s.on('data', (res) => {
        const queue = this.pending.get(res.ID);
        const entry = queue?.shift();
        if (!entry) return;
        if (queue!.length === 0) this.pending.delete(res.ID);
        clearTimeout(entry.timer);
        entry.resolve(Number(res.TTL));
      });
      s.on('error', (err) => {
        if (this.stream === opening) this.reset(etcdError(err, 'lease keepalive'));
      });
      s.on('end', () => {
        if (this.stream === opening) this.reset(new OrchestrationError('Unavailable', 'etcd ended the keepalive stream'));
      });
      return s;
    });
    opening.catch(() => {
      if (this.stream === opening) this.stream = undefined;
    });
    this.stream = opening;
    return opening.catch((err) => {
      throw etcdError(err, 'lease keepalive');
    });
  }

  private drop(entry: Pending, id: string): void {
    const queue = this.pending.get(id);
    if (!queue) return;
    const i = queue.indexOf(entry);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.pending.delete(id);
  }

  private reset(err: Error): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.then((s) => s.cancel()).catch(() => undefined);
    for (const queue of this.pending.values()) {
      for (const entry of queue) {
        clearTimeout(entry.timer);
        entry.reject(err);
      }
    }
    this.pending.clear();
  }
}

import type { ApiClient } from '../api/client.js';
import type { InstanceStatusReport } from '../types/instance.js';
import type { Logger } from '../types/logger.js';

/**
 * Sends instance status to the control plane in batches: reports made within `batchMs` of each
 * other go in one request, and only the latest report of an instance is sent. A failed send is kept
 * and retried (newer reports replace it), so the control plane always ends up with the last word.
 */
export class StatusReporter {
  private pending = new Map<string, InstanceStatusReport>();
  private timer?: ReturnType<typeof setTimeout>;
  private inFlight?: Promise<void>;
  /** Last report sent per instance, to skip sending what has not changed. */
  private readonly sent = new Map<string, string>();

  constructor(
    private readonly client: ApiClient,
    private readonly log: Logger,
    private readonly batchMs = 25,
  ) {}

  report(r: InstanceStatusReport): void {
    const fingerprint = JSON.stringify(r);
    if (this.sent.get(r.instanceId) === fingerprint && !this.pending.has(r.instanceId)) return;
    this.pending.set(r.instanceId, r);
    this.schedule(this.batchMs);
  }

  forget(instanceId: string): void {
    this.pending.delete(instanceId);
    this.sent.delete(instanceId);
  }

  /** Forces the next report of every instance to be sent even if unchanged (after a reconnect). */
  resetSent(): void {
    this.sent.clear();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.inFlight = this.client
      .reportStatus(batch)
      .then(() => {
        for (const r of batch) this.sent.set(r.instanceId, JSON.stringify(r));
      })
      .catch((err) => {
        this.log.warn({ err: String(err), count: batch.length }, 'status report failed; will retry');
        for (const r of batch) if (!this.pending.has(r.instanceId)) this.pending.set(r.instanceId, r);
        this.schedule(1000);
      });
    await this.inFlight;
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }
}

import type { Clock, TimerHandle } from '../../types/clock.js';
import type { Logger } from '../../types/logger.js';
import type { LeasingStore } from './leasing-store.js';

export interface LeaseTiming {
  ttlSeconds: number;
  /** How often to renew; several renewals fit in one TTL so one lost answer costs nothing. */
  renewEveryMs: number;
  /**
   * The lease counts as lost this long before etcd could expire it. Covers the time a renewal
   * spends in flight before etcd stamps it, and a paused process, so the holder stops acting
   * before anyone else can start.
   */
  marginMs: number;
}

/**
 * 4 s. After a crash (kill -9) the others wait for the lease to expire: TTL minus the time since the
 * last renewal, plus etcd's expiry sweep (up to 0.5 s), so about 3.4–4.7 s, inside the 5 s failover
 * budget. (5 s would put the median right at 5 s.) A leader rides through etcd trouble of up to
 * TTL − margin = 3.2 s, more than an etcd leader election takes.
 */
export const DEFAULT_LEASE_TTL_SECONDS = 4;

/** Renew five times per TTL; stop acting TTL/5 (at least 0.5 s) before the lease could expire. */
export function leaseTiming(ttlSeconds = DEFAULT_LEASE_TTL_SECONDS): LeaseTiming {
  const ttlMs = ttlSeconds * 1000;
  return { ttlSeconds, renewEveryMs: Math.max(100, Math.floor(ttlMs / 5)), marginMs: Math.max(500, Math.floor(ttlMs / 5)) };
}

/**
 * Holds one etcd lease and keeps it alive. It reports the lease lost (once) when etcd says it has
 * expired, or when no renewal has succeeded for TTL − margin, measured from when the last good
 * renewal was *sent*: etcd cannot have expired it before then, so the holder learns of the loss
 * before another replica can take over. A lost lease is never revived; the owner grants a new one.
 */
export class LeaseKeeper {
  id?: string;
  /** Until when (clock time) the lease is surely alive. */
  validUntil = 0;
  private renewTimer?: TimerHandle;
  private expiryTimer?: TimerHandle;
  private renewing = false;
  private lost = false;

  constructor(
    private readonly store: LeasingStore,
    private readonly timing: LeaseTiming,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onLost: (reason: string) => void,
  ) {}

  /** Grants the lease and starts renewing it. Throws (Unavailable) when etcd cannot grant one now. */
  async acquire(): Promise<string> {
    const sentAt = this.clock.now();
    this.id = await this.store.grantLease(this.timing.ttlSeconds);
    this.extend(sentAt, this.timing.ttlSeconds);
    this.scheduleRenewal();
    return this.id;
  }

  alive(): boolean {
    return !this.lost && this.id !== undefined && this.clock.now() < this.validUntil;
  }

  /** Stops renewing; with `revoke`, deletes the lease (and its keys) in etcd so others need not wait out the TTL. */
  async release(revoke: boolean): Promise<void> {
    this.lost = true;
    this.clearTimers();
    if (revoke && this.id !== undefined) {
      try {
        await this.store.revokeLease(this.id);
      } catch (err) {
        this.log.warn({ err: String(err), lease: this.id }, 'could not revoke lease; it expires by its TTL');
      }
    }
  }

  private extend(sentAt: number, ttlSeconds: number): void {
    this.validUntil = Math.max(this.validUntil, sentAt + ttlSeconds * 1000 - this.timing.marginMs);
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = this.clock.setTimeout(() => this.checkExpiry(), Math.max(0, this.validUntil - this.clock.now()));
  }

  private checkExpiry(): void {
    if (this.lost) return;
    if (this.clock.now() >= this.validUntil) this.markLost(`no lease renewal succeeded for ${this.timing.ttlSeconds * 1000 - this.timing.marginMs} ms`);
    else this.armExpiry();
  }

  private scheduleRenewal(): void {
    if (this.lost) return;
    this.renewTimer = this.clock.setTimeout(() => void this.renew(), this.timing.renewEveryMs);
  }

  private async renew(): Promise<void> {
    if (this.lost || this.renewing || this.id === undefined) return this.scheduleRenewal();
    this.renewing = true;
    const sentAt = this.clock.now();
    try {
      const ttl = await this.store.renewLease(this.id);
      if (this.lost) return;
      if (ttl <= 0) this.markLost('etcd reports the lease expired');
      else this.extend(sentAt, ttl);
    } catch (err) {
      this.log.debug({ err: String(err), lease: this.id }, 'lease renewal failed');
    } finally {
      this.renewing = false;
      this.scheduleRenewal();
    }
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.clearTimers();
    this.onLost(reason);
  }

  private clearTimers(): void {
    if (this.renewTimer) this.clock.clearTimeout(this.renewTimer);
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    this.renewTimer = this.expiryTimer = undefined;
  }
}

import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../store/memory-store.js';
import { OrchestrationError } from '../../types/errors.js';
import { ManualClock } from '../../types/clock.js';
import { silentLogger } from '../../types/logger.js';
import { LeaseKeeper, leaseTiming } from './lease-keeper.js';
import type { LeasingStore } from './leasing-store.js';

/** Lease calls answered as told: `renew` decides what each renewal does. */
class ScriptedLeases extends MemoryStateStore implements LeasingStore {
  renew: () => Promise<number> = async () => 5;
  renewals = 0;
  revoked: string[] = [];
  async grantLease(): Promise<string> {
    return '42';
  }
  async renewLease(): Promise<number> {
    this.renewals++;
    return this.renew();
  }
  async revokeLease(id: string): Promise<void> {
    this.revoked.push(id);
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

/** Moves the clock in 100 ms steps, letting renewals' promises settle in between. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await flush();
  }
}

function keeper(store: ScriptedLeases, clock: ManualClock) {
  const lost: Array<{ at: number; reason: string }> = [];
  const k = new LeaseKeeper(store, leaseTiming(5), clock, silentLogger, (reason) => lost.push({ at: clock.now(), reason }));
  return { k, lost };
}

describe('LeaseKeeper', () => {
  it('derives renewal and margin from the TTL: renew every second, stop 1 s early for a 5 s lease', () => {
    expect(leaseTiming(5)).toEqual({ ttlSeconds: 5, renewEveryMs: 1000, marginMs: 1000 });
    expect(leaseTiming()).toEqual({ ttlSeconds: 4, renewEveryMs: 800, marginMs: 800 });
    expect(leaseTiming(2)).toEqual({ ttlSeconds: 2, renewEveryMs: 400, marginMs: 500 });
  });

  it('keeps the lease alive while renewals succeed', async () => {
    const clock = new ManualClock();
    const store = new ScriptedLeases();
    const { k, lost } = keeper(store, clock);
    await k.acquire();
    await advance(clock, 30_000);
    expect(lost).toEqual([]);
    expect(k.alive()).toBe(true);
    expect(store.renewals).toBeGreaterThanOrEqual(29);
    await k.release(true);
    expect(store.revoked).toEqual(['42']);
  });

  it('declares the lease lost TTL − margin after the last good renewal was sent, before etcd can expire it', async () => {
    const clock = new ManualClock();
    const store = new ScriptedLeases();
    const { k, lost } = keeper(store, clock);
    await k.acquire();
    await advance(clock, 1_000); // the renewal sent at t=1000 succeeds: etcd keeps it until ≥ 6000
    store.renew = async () => {
      throw new OrchestrationError('Unavailable', 'etcd unreachable');
    };
    await advance(clock, 3_900);
    expect(lost).toEqual([]);
    expect(k.alive()).toBe(true);
    await advance(clock, 200);
    expect(lost).toHaveLength(1);
    expect(lost[0].at).toBe(5_000);
    expect(k.alive()).toBe(false);
  });

  it('does not count a renewal that never gets an answer', async () => {
    const clock = new ManualClock();
    const store = new ScriptedLeases();
    const { k, lost } = keeper(store, clock);
    await k.acquire();
    store.renew = () => new Promise<number>(() => {});
    await advance(clock, 4_100);
    expect(lost.map((l) => l.at)).toEqual([4_000]);
    expect(k.alive()).toBe(false);
  });

  it('reports the loss at once when etcd answers that the lease has expired', async () => {
    const clock = new ManualClock();
    const store = new ScriptedLeases();
    const { k, lost } = keeper(store, clock);
    await k.acquire();
    store.renew = async () => 0;
    await advance(clock, 1_000);
    expect(lost).toEqual([{ at: 1_000, reason: 'etcd reports the lease expired' }]);
    await advance(clock, 10_000);
    expect(lost).toHaveLength(1);
  });

  it('sees an expired lease as lost even when its timer has not fired yet (a blocked event loop)', async () => {
    const clock = new ManualClock();
    const store = new ScriptedLeases();
    const { k } = keeper(store, clock);
    await k.acquire();
    store.renew = () => new Promise<number>(() => {});
    // Jump past validUntil without running timers, as after a long synchronous pause.
    (clock as unknown as { t: number }).t = 4_500;
    expect(k.alive()).toBe(false);
  });
});

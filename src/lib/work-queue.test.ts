import { describe, expect, it } from 'vitest';
import { ManualClock } from '../types/clock.js';
import { WorkQueue } from './work-queue.js';
import { backoffDelay, CRASH_LOOP_BACKOFF } from './backoff.js';

/** A promise the test resolves by hand, to hold a handler mid-run. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A one-worker queue that records the keys it runs and holds the worker on key 'busy' until `hold.open()`. */
function heldAtBusy() {
  const runs: string[] = [];
  const hold = gate();
  const q = new WorkQueue(async (k) => {
    runs.push(k);
    if (k === 'busy') await hold.promise;
  }, { concurrency: 1 });
  return { runs, hold, q };
}

describe('WorkQueue', () => {
  it('runs a key added several times while waiting only once', async () => {
    const { runs, hold, q } = heldAtBusy();
    q.add('busy');
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    hold.open();
    await q.idle();
    expect(runs).toEqual(['busy', 'a', 'b']);
  });

  it('runs urgent keys before the others, moving a waiting key ahead when it is added again as urgent, each once', async () => {
    const { runs, hold, q } = heldAtBusy();
    q.add('busy');
    q.add('status-1');
    q.add('status-2');
    q.add('new', true);
    q.add('status-2', true);
    q.add('status-2');
    q.add('busy', true);
    expect(q.length).toBe(3);
    hold.open();
    await q.idle();
    // busy, re-added urgently while it ran, runs again after the urgent keys that were waiting, before the rest.
    expect(runs).toEqual(['busy', 'new', 'status-2', 'busy', 'status-1']);
  });

  it('never runs two handlers for one key at once, and re-runs a key added during its run exactly once', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const first = gate();
    const q = new WorkQueue(async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      if (calls === 1) await first.promise;
      running--;
    }, { concurrency: 8 });
    q.add('k');
    await Promise.resolve();
    q.add('k');
    q.add('k');
    q.add('k');
    expect(q.inFlight).toBe(1);
    first.open();
    await q.idle();
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('runs different keys in parallel up to the concurrency limit', async () => {
    const hold = gate();
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await hold.promise;
      running--;
    }, { concurrency: 3 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    expect(q.inFlight).toBe(3);
    expect(q.length).toBe(2);
    hold.open();
    await q.idle();
    expect(maxRunning).toBe(3);
    expect(q.processed).toBe(5);
  });

  it('retries a throwing key with doubling delays, capped, and resets after a success', async () => {
    const clock = new ManualClock();
    const times: number[] = [];
    let failUntil = 4;
    const errors: string[] = [];
    const q = new WorkQueue(async () => {
      times.push(clock.now());
      if (times.length < failUntil) throw new Error(`boom ${times.length}`);
    }, { clock, baseRetryMs: 100, maxRetryMs: 250 }, (key, err) => errors.push(`${key}:${(err as Error).message}`));
    q.add('k');
    await q.idle();
    for (const step of [100, 200, 250]) {
      clock.advance(step - 1);
      await q.idle();
      const before = times.length;
      clock.advance(1);
      await q.idle();
      expect(times.length).toBe(before + 1);
    }
    expect(times).toEqual([0, 100, 300, 550]);
    expect(errors).toEqual(['k:boom 1', 'k:boom 2', 'k:boom 3']);
    expect(q.errors).toBe(3);
    // A success forgot the failures: the next failure waits the base delay again.
    failUntil = Infinity;
    times.length = 0;
    q.add('k');
    await q.idle();
    clock.advance(100);
    await q.idle();
    expect(times).toEqual([550, 650]);
    q.stop();
  });

  it('calls a key again after requeueAfterMs', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const q = new WorkQueue(async () => (++calls === 1 ? { requeueAfterMs: 5_000 } : undefined), { clock });
    q.add('k');
    await q.idle();
    clock.advance(4_999);
    await q.idle();
    expect(calls).toBe(1);
    clock.advance(1);
    await q.idle();
    expect(calls).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('addAfter keeps the earliest pending time, and add runs at once cancelling the timer', async () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const q = new WorkQueue(async () => void at.push(clock.now()), { clock });
    q.addAfter('k', 1_000);
    q.addAfter('k', 5_000);
    clock.advance(1_000);
    await q.idle();
    expect(at).toEqual([1_000]);
    q.addAfter('k', 5_000);
    q.addAfter('k', 2_000);
    clock.advance(2_000);
    await q.idle();
    expect(at).toEqual([1_000, 3_000]);
    q.addAfter('k', 10_000);
    q.add('k');
    await q.idle();
    expect(at).toEqual([1_000, 3_000, 3_000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('after stop, nothing queued or delayed runs and new adds are ignored', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const q = new WorkQueue(async () => void calls++, { clock, concurrency: 1 });
    q.addAfter('later', 100);
    q.stop();
    q.add('now');
    clock.advance(1_000);
    await q.idle();
    expect(calls).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('waits nothing before the first retry, then 10 s doubling to the 5 min cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffDelay(CRASH_LOOP_BACKOFF, n));
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    expect(backoffDelay(CRASH_LOOP_BACKOFF, 1, 500)).toBe(500);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../types/clock.js';
import { ProgressTracker } from './progress-tracker.js';

describe('ProgressTracker', () => {
  it('stalls after the deadline without a change of position, and a new revision starts afresh', () => {
    const clock = new ManualClock(0);
    const t = new ProgressTracker(clock);
    expect(t.observe('w', 2, '0/0', 10)).toEqual({ stalled: false, remainingMs: 10_000 });
    clock.advance(8_000);
    expect(t.observe('w', 2, '1/0', 10)).toEqual({ stalled: false, remainingMs: 10_000 });
    clock.advance(10_000);
    expect(t.observe('w', 2, '1/0', 10).stalled).toBe(true);
    // Progress after the stall does not unstall it; only a new revision does.
    expect(t.observe('w', 2, '2/1', 10).stalled).toBe(true);
    expect(t.isStalled('w', 2)).toBe(true);
    expect(t.observe('w', 3, '0/0', 10).stalled).toBe(false);
    t.done('w');
    expect(t.isStalled('w', 3)).toBe(false);
  });
});

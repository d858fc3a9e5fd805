import { describe, expect, it } from 'vitest';
import { ManualClock } from '../types/clock.js';
import { ReplacementBackoff } from './replacement-backoff.js';

describe('ReplacementBackoff', () => {
  it('replaces the first failure at once, the second after 10 s, and counts one instance once', () => {
    const clock = new ManualClock(1_000_000);
    const b = new ReplacementBackoff(clock);
    expect(b.waitMs('w')).toBe(0);
    b.recordFailure('w', 'i1');
    b.recordFailure('w', 'i1');
    expect(b.waitMs('w')).toBe(0);
    b.recordFailure('w', 'i2');
    expect(b.waitMs('w')).toBe(10_000);
    clock.advance(4_000);
    expect(b.waitMs('w')).toBe(6_000);
    b.recordFailure('w', 'i3');
    expect(b.waitMs('w')).toBe(20_000);
    expect(b.waitMs('other')).toBe(0);
  });

  it('forgives failures after 10 minutes without one', () => {
    const clock = new ManualClock(0);
    const b = new ReplacementBackoff(clock);
    b.recordFailure('w', 'i1');
    b.recordFailure('w', 'i2');
    clock.advance(600_001);
    b.recordFailure('w', 'i3');
    expect(b.waitMs('w')).toBe(0);
  });
});

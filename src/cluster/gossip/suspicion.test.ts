import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../types/clock.js';
import { Suspicion, remainingSuspicionTime, suspicionTimeout } from './suspicion.js';

describe('suspicionTimeout', () => {
  it('grows with the log of the cluster size', () => {
    expect(suspicionTimeout(4, 1, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 10, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 100, 1000)).toBe(8000);
    expect(suspicionTimeout(4, 1000, 1000)).toBe(12000);
  });
});

describe('remainingSuspicionTime', () => {
  it('starts at max and reaches min with k confirmations', () => {
    expect(remainingSuspicionTime(0, 3, 0, 2000, 30000)).toBe(30000);
    expect(remainingSuspicionTime(3, 3, 0, 2000, 30000)).toBe(2000);
    const one = remainingSuspicionTime(1, 3, 0, 2000, 30000);
    expect(one).toBeLessThan(30000);
    expect(one).toBeGreaterThan(2000);
  });

  it('subtracts the time already spent', () => {
    expect(remainingSuspicionTime(3, 3, 500, 2000, 30000)).toBe(1500);
  });
});

describe('Suspicion', () => {
  function make(k: number) {
    const clock = new ManualClock();
    const fired: number[] = [];
    const s = new Suspicion({ from: 'a', k, minMs: 2000, maxMs: 12000, clock, onTimeout: (n) => fired.push(clock.now()) && void n });
    return { clock, fired, s };
  }

  it('declares the suspect after the max timeout when nobody confirms', () => {
    const { clock, fired } = make(3);
    clock.advance(11999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([12000]);
  });

  it('runs out sooner with each independent confirmation, down to min', () => {
    const { clock, fired, s } = make(3);
    clock.advance(1000);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('c')).toBe(true);
    expect(s.confirm('d')).toBe(true);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([2000]);
  });

  it('fires at once when a confirmation arrives after min has already passed', () => {
    const { clock, fired, s } = make(1);
    clock.advance(5000);
    s.confirm('b');
    clock.advance(0);
    expect(fired).toEqual([5000]);
  });

  it('ignores repeated confirmations and the original suspecter', () => {
    const { s } = make(3);
    expect(s.confirm('a')).toBe(false);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirmationCount()).toBe(1);
  });

  it('uses min outright when k < 1 (tiny clusters)', () => {
    const { clock, fired } = make(0);
    clock.advance(2000);
    expect(fired).toEqual([2000]);
  });

  it('never fires once cancelled', () => {
    const { clock, fired, s } = make(3);
    s.cancel();
    clock.advance(60000);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

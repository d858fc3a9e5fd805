import { describe, expect, it } from 'vitest';
import { Awareness } from './awareness.js';

describe('Awareness (Lifeguard local health)', () => {
  it('starts healthy and leaves timeouts unscaled', () => {
    const a = new Awareness(8);
    expect(a.score()).toBe(0);
    expect(a.scale(1000)).toBe(1000);
  });

  it('scales timeouts by score + 1 as failures accumulate', () => {
    const a = new Awareness(8);
    a.apply(2);
    expect(a.scale(1000)).toBe(3000);
  });

  it('never goes below zero nor above max - 1', () => {
    const a = new Awareness(8);
    a.apply(-5);
    expect(a.score()).toBe(0);
    a.apply(100);
    expect(a.score()).toBe(7);
    expect(a.scale(500)).toBe(4000);
  });

  it('recovers one step per successful probe', () => {
    const a = new Awareness(8);
    a.apply(3);
    a.apply(-1);
    expect(a.score()).toBe(2);
  });
});

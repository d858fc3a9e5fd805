import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('WorkQueue properties', () => {
  it('for any interleaving of adds and slow handlers: never two runs of a key at once, and every add is followed by a run that started after it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), waitTicks: fc.nat(3) }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 10 }),
        async (adds, concurrency, durations) => {
          let clock = 0;
          let runIndex = 0;
          const running = new Set<string>();
          const starts: Record<string, number[]> = { a: [], b: [], c: [] };
          const lastAdd: Record<string, number> = {};
          let overlap = false;
          const q = new WorkQueue(async (key) => {
            if (running.has(key)) overlap = true;
            running.add(key);
            starts[key].push(++clock);
            const ticks = durations[runIndex++ % durations.length];
            for (let t = 0; t < ticks; t++) await tick();
            running.delete(key);
          }, { concurrency });
          for (const { key, waitTicks } of adds) {
            lastAdd[key] = ++clock;
            q.add(key);
            for (let t = 0; t < waitTicks; t++) await tick();
          }
          await q.idle();
          expect(overlap).toBe(false);
          for (const [key, at] of Object.entries(lastAdd)) {
            // A run that started after the last add saw the state that add announced.
            expect(starts[key].some((s) => s > at), `key ${key} added at ${at}, runs started at ${starts[key]}`).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

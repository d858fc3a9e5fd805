import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../types/clock.js';
import { MemoryNetwork } from './memory-network.js';
import { seededRandom } from './random.js';
import { transportContract } from './transport.contract.js';

let shared: MemoryNetwork | undefined;
let seq = 0;
transportContract('in-memory', async () => {
  shared ??= new MemoryNetwork({ clock: systemClock, random: seededRandom(1) });
  return shared.attach(`m${seq++}`);
});

const enc = new TextEncoder();

describe('MemoryNetwork', () => {
  function setup(lossRate = 0) {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, random: seededRandom(3), latencyMs: 5, lossRate });
    const received: Record<string, number> = {};
    const [a, b, c] = ['a', 'b', 'c'].map((addr) => {
      const t = net.attach(addr);
      received[addr] = 0;
      t.onPacket(() => received[addr]++);
      t.onExchange((r) => r);
      return t;
    });
    return { clock, net, a, b, c, received };
  }

  it('delivers packets after the configured latency on the injected clock', () => {
    const { clock, a, received } = setup();
    a.sendPacket('b', enc.encode('x'));
    clock.advance(4);
    expect(received.b).toBe(0);
    clock.advance(1);
    expect(received.b).toBe(1);
  });

  it('drops about the configured fraction of packets', () => {
    const { clock, a, received } = setup(0.1);
    for (let i = 0; i < 2000; i++) a.sendPacket('b', enc.encode('x'));
    clock.advance(10);
    expect(received.b).toBeGreaterThan(1700);
    expect(received.b).toBeLessThan(1900);
  });

  it('blocks packets and streams across a partition until healed', async () => {
    const { clock, net, a, c, received } = setup();
    net.partition(['a', 'b'], ['c']);
    a.sendPacket('c', enc.encode('x'));
    a.sendPacket('b', enc.encode('x'));
    const cut = a.exchange('c', enc.encode('x'), 100).then(
      () => 'answered',
      () => 'failed',
    );
    clock.advance(200);
    expect(await cut).toBe('failed');
    expect(received).toEqual({ a: 0, b: 1, c: 0 });
    net.heal();
    a.sendPacket('c', enc.encode('x'));
    clock.advance(5);
    expect(received.c).toBe(1);
    void c;
  });

  it('refuses a second transport on a used address', () => {
    const { net } = setup();
    expect(() => net.attach('a')).toThrow(/in use/);
  });
});

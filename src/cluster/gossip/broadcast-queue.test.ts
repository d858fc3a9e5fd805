import { describe, expect, it } from 'vitest';
import { BroadcastQueue } from './broadcast-queue.js';
import type { Message } from './messages.js';

const alive = (name: string, inc = 1): Message => ({ t: 'alive', name, inc, addr: 'x:1', meta: '{}' });

describe('BroadcastQueue', () => {
  it('sends each update retransmitMult * ceil(log10(n + 1)) times, then drops it', () => {
    const q = new BroadcastQueue(2, () => 10);
    expect(q.retransmitLimit()).toBe(4);
    let finished = 0;
    q.enqueue({ about: 'a', message: alive('a'), onFinished: () => finished++ });
    for (let i = 0; i < 4; i++) expect(q.take(2, 1400)).toHaveLength(1);
    expect(q.take(2, 1400)).toHaveLength(0);
    expect(finished).toBe(1);
  });

  it('raises the limit as the cluster grows', () => {
    let n = 5;
    const q = new BroadcastQueue(4, () => n);
    expect(q.retransmitLimit()).toBe(4);
    n = 100;
    expect(q.retransmitLimit()).toBe(12);
  });

  it('replaces a queued update about the same member with the newer one', () => {
    const q = new BroadcastQueue(4, () => 10);
    let replaced = false;
    q.enqueue({ about: 'a', message: alive('a', 1), onFinished: () => (replaced = true) });
    q.enqueue({ about: 'a', message: { t: 'suspect', name: 'a', inc: 1, from: 'b' } });
    expect(replaced).toBe(true);
    expect(q.take(2, 1400)).toEqual([{ t: 'suspect', name: 'a', inc: 1, from: 'b' }]);
  });

  it('fills a packet up to its byte limit and sends the least-sent updates first', () => {
    const q = new BroadcastQueue(4, () => 10);
    q.enqueue({ about: 'a', message: alive('a') });
    q.take(2, 1400);
    q.enqueue({ about: 'b', message: alive('b') });
    const size = JSON.stringify(alive('b')).length + 1 + 2;
    const first = q.take(2, size);
    expect(first).toEqual([alive('b')]);
    expect(q.take(2, 10_000)).toHaveLength(2);
  });
});

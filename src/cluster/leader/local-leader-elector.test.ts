import { describe, expect, it } from 'vitest';
import { LocalLeaderElector } from './local-leader-elector.js';

describe('LocalLeaderElector', () => {
  it('leads from start to stop, needs no guard, and is the only replica', async () => {
    const e = new LocalLeaderElector('solo', 'http://127.0.0.1:7070', () => new Date('2026-01-01T00:00:00Z'));
    const seen: boolean[] = [];
    e.onChange((isLeader) => seen.push(isLeader));
    expect(e.isLeader()).toBe(false);
    await e.start();
    expect(e.isLeader()).toBe(true);
    expect(e.guard()).toBeUndefined();
    expect(e.leaderInfo()).toEqual({ id: 'solo', address: 'http://127.0.0.1:7070', since: '2026-01-01T00:00:00.000Z' });
    expect(await e.replicas()).toEqual([{ id: 'solo', address: 'http://127.0.0.1:7070', startedAt: '2026-01-01T00:00:00.000Z' }]);
    await e.stop();
    expect(e.isLeader()).toBe(false);
    expect(seen).toEqual([true, false]);
  });
});

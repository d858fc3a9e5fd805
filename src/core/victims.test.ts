import { describe, expect, it } from 'vitest';
import { selectVictims } from './victims.js';
import { inst } from './objects.test-harness.js';

describe('selectVictims (scale-down order)', () => {
  it('takes unplaced first, then not Running, then not ready, then Running and ready', () => {
    const running = inst({ instanceId: 'running' });
    const notReady = inst({ instanceId: 'not-ready', ready: false });
    const pending = inst({ instanceId: 'pending', status: 'Pending', ready: false });
    const unplaced = inst({ instanceId: 'unplaced', nodeId: '', status: 'Pending', ready: false });
    const order = selectVictims([running, notReady, pending, unplaced], 4, () => 0).map((i) => i.instanceId);
    expect(order).toEqual(['unplaced', 'pending', 'not-ready', 'running']);
  });

  it('among equals takes the most loaded node first, then the newest', () => {
    const load: Record<string, number> = { busy: 0.9, idle: 0.1 };
    const oldIdle = inst({ instanceId: 'old-idle', nodeId: 'idle', createdAt: '2026-01-01T00:00:00.000Z' });
    const oldBusy = inst({ instanceId: 'old-busy', nodeId: 'busy', createdAt: '2026-01-01T00:00:00.000Z' });
    const newBusy = inst({ instanceId: 'new-busy', nodeId: 'busy', createdAt: '2026-01-02T00:00:00.000Z' });
    expect(selectVictims([oldIdle, oldBusy, newBusy], 2, (n) => load[n]).map((i) => i.instanceId)).toEqual(['new-busy', 'old-busy']);
    expect(selectVictims([oldIdle], -1, () => 0)).toEqual([]);
  });
});

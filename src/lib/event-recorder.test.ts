import { describe, expect, it } from 'vitest';
import type { ClusterEventRecord } from '../types/event.js';
import { silentLogger } from '../types/logger.js';
import { EventRecorder, eventId } from './event-recorder.js';

const web = { kind: 'Workload' as const, id: 'w1', name: 'web' };

describe('EventRecorder', () => {
  it('counts a repeated event within one window instead of writing it twice', async () => {
    const written: ClusterEventRecord[][] = [];
    const rec = new EventRecorder(async (batch) => void written.push(batch), silentLogger, 60_000);
    rec.warning(web, 'FailedScheduling', 'no node fits');
    rec.warning(web, 'FailedScheduling', 'no node fits');
    rec.warning(web, 'FailedScheduling', 'no node fits');
    rec.normal(web, 'Scheduled', 'placed 1 instance(s)');
    await rec.flush();
    expect(written).toHaveLength(1);
    const byReason = Object.fromEntries(written[0].map((e) => [e.reason, e]));
    expect(byReason.FailedScheduling).toMatchObject({ type: 'Warning', count: 3, message: 'no node fits', source: 'control-plane' });
    expect(byReason.Scheduled).toMatchObject({ type: 'Normal', count: 1 });
  });

  it('keeps different messages about one object apart', async () => {
    const written: ClusterEventRecord[] = [];
    const rec = new EventRecorder(async (batch) => void written.push(...batch), silentLogger, 60_000);
    rec.normal(web, 'ScaledUp', 'created 1');
    rec.normal(web, 'ScaledUp', 'created 2');
    await rec.flush();
    expect(written.map((e) => e.message).sort()).toEqual(['created 1', 'created 2']);
  });

  it('writes on its own after flushMs, and a failing sink loses the batch without throwing', async () => {
    let fail = true;
    const written: ClusterEventRecord[] = [];
    let onWrite = () => {};
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (_o: object, msg?: string) => void warnings.push(String(msg)) } as typeof silentLogger;
    const rec = new EventRecorder(async (batch) => {
      if (fail) throw new Error('store down');
      written.push(...batch);
      onWrite();
    }, log, 5);
    rec.normal(web, 'A', 'lost');
    await rec.flush();
    expect(warnings).toEqual(['could not write events']);
    fail = false;
    const delivered = new Promise<void>((resolve) => (onWrite = resolve));
    rec.normal(web, 'B', 'kept');
    await delivered;
    expect(written.map((e) => e.reason)).toEqual(['B']);
  });

  it('makes ids that sort by time and differ within a millisecond', () => {
    const a = eventId('2026-11-28T09:30:12.123Z');
    const b = eventId('2026-11-28T09:30:12.124Z');
    expect(a).toMatch(/^20261128T093012\.123Z-[0-9a-f]{6}[0-9a-z]+$/);
    expect(a < b).toBe(true);
    const same = Array.from({ length: 1000 }, () => eventId('2026-11-28T09:30:12.125Z'));
    expect(new Set(same).size).toBe(1000);
  });
});

import { describe, expect, it } from 'vitest';
import { planDaemon, planJob } from './kinds.js';
import type { WorkloadDefinition } from '../types/workload.js';
import { inst, node, workload } from './objects.test-harness.js';

describe('planJob', () => {
  const job = (p: Partial<WorkloadDefinition['job']> = {}, w: Partial<WorkloadDefinition> = {}) =>
    workload({ kind: 'job', restartPolicy: 'OnFailure', job: { completions: 5, parallelism: 2, backoffLimit: 6, ...p }, ...w });

  it('keeps at most parallelism running and never more than the completions left', () => {
    expect(planJob(job(), [], 0).create).toBe(2);
    expect(planJob(job(), [inst({ status: 'Running' })], 0).create).toBe(1);
    const fourDone = Array.from({ length: 4 }, () => inst({ status: 'Succeeded' }));
    expect(planJob(job(), fourDone, 0).create).toBe(1);
  });

  it('stops what still runs once completions are reached or failures pass backoffLimit', () => {
    const running = inst({ status: 'Running' });
    const done = Array.from({ length: 5 }, () => inst({ status: 'Succeeded' }));
    expect(planJob(job(), [...done, running], 0)).toEqual({ create: 0, remove: [running], removeReason: 'JobComplete' });
    const failed = Array.from({ length: 2 }, () => inst({ status: 'Failed' }));
    expect(planJob(job({ backoffLimit: 1 }), [...failed, running], 0)).toMatchObject({ create: 0, remove: [running], removeReason: 'BackoffLimitExceeded' });
    expect(planJob(job({ backoffLimit: 2 }), [...failed], 0).create).toBe(2);
  });

  it('fails at activeDeadlineSeconds and asks to be called back at the deadline', () => {
    const w = job({ activeDeadlineSeconds: 60 }, { createdAt: new Date(0).toISOString() });
    expect(planJob(w, [], 10_000)).toMatchObject({ create: 2, requeueAfterMs: 50_000 });
    expect(planJob(w, [], 60_000)).toMatchObject({ create: 0, removeReason: 'DeadlineExceeded' });
  });
});

describe('planDaemon', () => {
  it('places one instance on each Ready matching node it tolerates', () => {
    const nodes = [
      node('a', { labels: { disk: 'ssd' } }),
      node('b', { labels: { disk: 'ssd' }, taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] }),
      node('c', { labels: { disk: 'hdd' } }),
      node('d', { labels: { disk: 'ssd' }, status: 'NotReady' }),
      node('e', { labels: { disk: 'ssd' }, taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
    ];
    const w = workload({ kind: 'daemon', nodeSelector: { disk: 'ssd' } });
    expect(planDaemon(w, [], nodes)).toEqual({ createOn: ['a', 'e'], remove: [] });
    const tolerant = workload({ kind: 'daemon', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] });
    expect(planDaemon(tolerant, [], nodes).createOn).toEqual(['a', 'b', 'e']);
  });

  it('keeps the oldest of duplicates, keeps instances on NotReady nodes, removes them from Down or no-longer-matching nodes', () => {
    const nodes = [node('a'), node('b', { status: 'NotReady' }), node('c', { status: 'Down' }), node('d', { labels: { role: 'other' } })];
    const w = workload({ kind: 'daemon' });
    const older = inst({ instanceId: 'a-old', nodeId: 'a', createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = inst({ instanceId: 'a-new', nodeId: 'a', createdAt: '2026-01-02T00:00:00.000Z' });
    const onB = inst({ instanceId: 'on-b', nodeId: 'b' });
    const onC = inst({ instanceId: 'on-c', nodeId: 'c' });
    const plan = planDaemon(w, [older, newer, onB, onC], nodes);
    expect(plan.remove.map((i) => i.instanceId).sort()).toEqual(['a-new', 'on-c']);
    expect(plan.createOn).toEqual(['d']);
    const selective = planDaemon(workload({ kind: 'daemon', nodeSelector: { role: 'web' } }), [inst({ instanceId: 'on-d', nodeId: 'd' })], nodes);
    expect(selective.remove.map((i) => i.instanceId)).toEqual(['on-d']);
  });
});

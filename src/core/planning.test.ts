import { describe, expect, it } from 'vitest';
import { ManualClock } from '../types/clock.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import { emptyWorkloadStatus, type WorkloadDefinition } from '../types/workload.js';
import { planDaemon, planJob } from './kinds.js';
import { ProgressTracker } from './progress-tracker.js';
import { ReplacementBackoff } from './replacement-backoff.js';
import { resolveIntOrPercent, rollingStep, rolloutLimits } from './rollout.js';
import { selectVictims } from './victims.js';
import { computeWorkloadStatus, statusChanged } from './workload-status.js';

let seq = 0;
function inst(p: Partial<WorkloadInstance> = {}): WorkloadInstance {
  const id = p.instanceId ?? `i${++seq}`;
  return {
    instanceId: id, name: id, workloadId: 'w', workloadName: 'web', nodeId: 'n1', status: 'Running', ready: true, containers: [], revision: 1,
    labels: {}, priority: 0, requests: { cpuMillicores: 0, memoryMb: 0, diskMb: 0, extended: {} }, hostPorts: [], createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1', ...p,
  };
}

function workload(p: Partial<WorkloadDefinition> = {}): WorkloadDefinition {
  return {
    workloadId: 'w', name: 'web', kind: 'service', labels: {}, replicas: 3, containers: [{ name: 'c', image: 'busybox' }] as WorkloadDefinition['containers'],
    priority: 0, restartPolicy: 'Always', strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }, minReadySeconds: 0, progressDeadlineSeconds: 600,
    terminationGracePeriodSeconds: 30, paused: false, generation: 1, templateRevision: 1, status: emptyWorkloadStatus(), createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1', ...p,
  };
}

function node(id: string, p: Partial<Node> = {}): Node {
  const size = { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 };
  return { id, name: id, status: 'Ready', capacity: size, allocatable: size, labels: {}, taints: [], unschedulable: false, lastHeartbeat: '', createdAt: '', resourceVersion: '1', ...p };
}

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

describe('rollout limits and steps', () => {
  it('rounds a surge percentage up and an unavailable percentage down, as Kubernetes does', () => {
    expect(resolveIntOrPercent('25%', 10, true)).toBe(3);
    expect(resolveIntOrPercent('25%', 10, false)).toBe(2);
    expect(resolveIntOrPercent(4, 10, false)).toBe(4);
    expect(rolloutLimits({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }, 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('allows one unavailable when both limits are zero, so a rollout can move', () => {
    expect(rolloutLimits({ type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 }, 5)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('with maxSurge 1 / maxUnavailable 0 adds one new copy and removes no available old one', () => {
    const old = [inst(), inst(), inst()];
    const step = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, [], old, (i) => i.ready);
    expect(step).toEqual({ create: 1, removeOld: [] });
  });

  it('removes an old copy once a new one is available, never going below replicas - maxUnavailable', () => {
    const old = [inst(), inst(), inst()];
    const fresh = [inst({ revision: 2 })];
    const step = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, fresh, old, (i) => i.ready);
    expect(step.create).toBe(0);
    expect(step.removeOld).toHaveLength(1);
    const notYet = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, [inst({ revision: 2, ready: false })], old, (i) => i.ready);
    expect(notYet).toEqual({ create: 0, removeOld: [] });
  });

  it('takes unavailable old copies before available ones', () => {
    const broken = inst({ instanceId: 'broken', ready: false });
    const old = [inst({ instanceId: 'ok1' }), broken, inst({ instanceId: 'ok2' })];
    const step = rollingStep(3, { maxSurge: 0, maxUnavailable: 1 }, [], old, (i) => i.ready);
    expect(step.removeOld.map((i) => i.instanceId)).toEqual(['broken']);
  });
});

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

describe('ProgressTracker', () => {
  it('stalls after the deadline without a change of position, and a new revision starts afresh', () => {
    const clock = new ManualClock(0);
    const t = new ProgressTracker(clock);
    expect(t.observe('w', 2, '0/0', 10)).toEqual({ stalled: false, remainingMs: 10_000 });
    clock.advance(8_000);
    expect(t.observe('w', 2, '1/0', 10)).toEqual({ stalled: false, remainingMs: 10_000 });
    clock.advance(10_000);
    expect(t.observe('w', 2, '1/0', 10).stalled).toBe(true);
    // Progress after the stall does not unstall it; only a new revision does.
    expect(t.observe('w', 2, '2/1', 10).stalled).toBe(true);
    expect(t.isStalled('w', 2)).toBe(true);
    expect(t.observe('w', 3, '0/0', 10).stalled).toBe(false);
    t.done('w');
    expect(t.isStalled('w', 3)).toBe(false);
  });
});

describe('computeWorkloadStatus', () => {
  const avail = (i: WorkloadInstance) => i.ready && i.status === 'Running';

  it('counts live instances and reports a complete rollout as Available and RolloutComplete', () => {
    const w = workload({ replicas: 2 });
    const s = computeWorkloadStatus(w, [inst(), inst(), inst({ status: 'Failed', ready: false }), inst({ deletionRequestedAt: 'x' })], avail, 0);
    expect(s).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    expect(s.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['Available=True/MinimumReplicasAvailable', 'Progressing=True/RolloutComplete']);
  });

  it('says why instances are pending and that a stalled rollout exceeded its deadline', () => {
    const w = workload({ replicas: 2, templateRevision: 2 });
    const s = computeWorkloadStatus(w, [inst(), inst({ nodeId: '', status: 'Pending', ready: false, revision: 2, message: 'no node has 4 cpu free' })], avail, 0, true);
    expect(s.pendingReason).toBe('no node has 4 cpu free');
    const byType = Object.fromEntries(s.conditions.map((c) => [c.type, c]));
    expect(byType.Progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(byType.Schedulable).toMatchObject({ status: 'False', message: 'no node has 4 cpu free' });
  });

  it('marks a job Complete at its completions and keeps the transition time while nothing changes', () => {
    const w = workload({ kind: 'job', job: { completions: 2, parallelism: 1, backoffLimit: 1 } });
    const done = [inst({ status: 'Succeeded' }), inst({ status: 'Succeeded' })];
    const first = computeWorkloadStatus(w, done, avail, 1_000);
    expect(first).toMatchObject({ succeeded: 2, failed: 0 });
    expect(first.conditions[0]).toMatchObject({ type: 'Complete', status: 'True', lastTransitionTime: new Date(1_000).toISOString() });
    const again = computeWorkloadStatus({ ...w, status: first }, done, avail, 9_000);
    expect(again.conditions[0].lastTransitionTime).toBe(new Date(1_000).toISOString());
    expect(statusChanged(first, again)).toBe(false);
    expect(statusChanged(first, { ...again, succeeded: 3 })).toBe(true);
  });
});

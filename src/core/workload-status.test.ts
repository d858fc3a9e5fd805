import { describe, expect, it } from 'vitest';
import type { WorkloadInstance } from '../types/instance.js';
import { computeWorkloadStatus, statusChanged } from './workload-status.js';
import { inst, workload } from './objects.test-harness.js';

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

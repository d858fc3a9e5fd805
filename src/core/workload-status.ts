import { isLive, type WorkloadInstance } from '../types/instance.js';
import type { WorkloadCondition, WorkloadDefinition, WorkloadStatus } from '../types/workload.js';
import { rolloutLimits } from './rollout.js';

/** A workload's observed state, derived from its instances; written only when it changes. */
export function computeWorkloadStatus(w: WorkloadDefinition, instances: readonly WorkloadInstance[], isAvailable: (i: WorkloadInstance) => boolean, nowMs: number, rolloutStalled = false): WorkloadStatus {
  const live = instances.filter(isLive);
  const ready = live.filter((i) => i.ready).length;
  const available = live.filter(isAvailable).length;
  const updated = live.filter((i) => i.revision === w.templateRevision).length;
  const pending = live.filter((i) => i.status === 'Pending');
  const unplaced = pending.find((i) => !i.nodeId && i.message);
  const now = new Date(nowMs).toISOString();
  const conditions: WorkloadCondition[] = [];
  const keep = (c: Omit<WorkloadCondition, 'lastTransitionTime'>): void => {
    const prev = w.status.conditions.find((p) => p.type === c.type);
    conditions.push({ ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now });
  };

  const status: WorkloadStatus = {
    observedGeneration: w.generation,
    replicas: live.length,
    readyReplicas: ready,
    updatedReplicas: updated,
    availableReplicas: available,
    pendingReplicas: pending.length,
    conditions,
  };
  if (unplaced) status.pendingReason = unplaced.message;

  if (w.kind === 'job') {
    const succeeded = instances.filter((i) => i.status === 'Succeeded').length;
    const failed = instances.filter((i) => i.status === 'Failed').length;
    status.succeeded = succeeded;
    status.failed = failed;
    const completions = w.job?.completions ?? 1;
    const backoffLimit = w.job?.backoffLimit ?? 6;
    if (succeeded >= completions) keep({ type: 'Complete', status: 'True', reason: 'Completed', message: `${succeeded}/${completions} completions` });
    else if (failed > backoffLimit) keep({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: `${failed} failures, backoffLimit ${backoffLimit}` });
    else {
      const prevFailed = w.status.conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (prevFailed) conditions.push(prevFailed);
    }
  } else if (w.kind === 'service') {
    const { maxUnavailable } = rolloutLimits(w.strategy, w.replicas);
    const enough = available >= w.replicas - maxUnavailable;
    keep({ type: 'Available', status: enough ? 'True' : 'False', reason: enough ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: `${available}/${w.replicas} available` });
    const complete = updated === w.replicas && live.length === w.replicas && available === w.replicas;
    if (complete) keep({ type: 'Progressing', status: 'True', reason: 'RolloutComplete', message: `revision ${w.templateRevision} is available` });
    else if (rolloutStalled) keep({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `revision ${w.templateRevision}: no progress for ${w.progressDeadlineSeconds}s (${updated}/${w.replicas} updated, ${available} available)` });
    else keep({ type: 'Progressing', status: 'True', reason: 'RolloutInProgress', message: `${updated}/${w.replicas} updated, ${available} available` });
  }
  if (unplaced) keep({ type: 'Schedulable', status: 'False', reason: 'Unschedulable', message: unplaced.message });
  return status;
}

/** Whether a new status differs from the stored one in anything but transition times. */
/** Whether a condition came, went or turned (type, status, reason): more than the counts in its message. */
export function conditionsChanged(a: WorkloadStatus, b: WorkloadStatus): boolean {
  const states = (s: WorkloadStatus) => s.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).join(',');
  return states(a) !== states(b);
}

export function statusChanged(a: WorkloadStatus, b: WorkloadStatus): boolean {
  const strip = (s: WorkloadStatus) => JSON.stringify({ ...s, conditions: s.conditions.map(({ lastTransitionTime: _t, ...c }) => c) });
  return strip(a) !== strip(b);
}

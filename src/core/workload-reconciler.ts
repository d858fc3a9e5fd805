import type { EventRecorder } from '../lib/event-recorder.js';
import type { ClusterSnapshot, Scheduler, ScheduleDecision } from '../scheduler/scheduler.js';
import { noExecuteEvictions } from '../scheduler/index.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { Clock } from '../types/clock.js';
import { isLive, type WorkloadInstance } from '../types/instance.js';
import type { Logger } from '../types/logger.js';
import type { WorkloadDefinition } from '../types/workload.js';
import type { ClusterCache } from './cluster-cache.js';
import { instanceHostPorts, instanceLabels, instanceRequests, newInstance } from './instance-factory.js';
import { rolloutLimits, rollingStep } from './rollout.js';
import { selectVictims } from './victims.js';
import { InstanceWriteBatch, type LeadershipGuard } from './write-batch.js';
import { computeWorkloadStatus, conditionsChanged, statusChanged } from './workload-status.js';
import { jobFinished, planDaemon, planJob } from './kinds.js';
import { ReplacementBackoff } from './replacement-backoff.js';
import { ProgressTracker } from './progress-tracker.js';

/** A workload's status counts are written at most this often (see updateStatus). */
const STATUS_COUNTS_EVERY_MS = 250;

export interface ReconcilerDeps {
  store: ClusterStore;
  cache: ClusterCache;
  scheduler: Scheduler;
  events: EventRecorder;
  leadership: LeadershipGuard;
  clock: Clock;
  log: Logger;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

/**
 * Brings one workload's instances in line with its definition. Level-based: it gets only the id,
 * reads the cache, decides, writes, and asks to be called again when it must wait (a backoff, a
 * rollout step, a conflict). Never runs twice at once for one workload (the work queue sees to it).
 */
export class WorkloadReconciler {
  private readonly backoff: ReplacementBackoff;
  private readonly progress: ProgressTracker;
  /** When each workload's status was last written (see updateStatus). */
  private readonly statusWrittenAt = new Map<string, number>();

  constructor(private readonly d: ReconcilerDeps) {
    this.backoff = new ReplacementBackoff(d.clock);
    this.progress = new ProgressTracker(d.clock);
  }

  async reconcile(workloadId: string): Promise<ReconcileResult> {
    const { cache } = this.d;
    if (!this.d.leadership.isLeader()) return {};
    const w = cache.workloads.get(workloadId);
    const instances = cache.instancesOf(workloadId);
    const batch = new InstanceWriteBatch(this.d.store, cache, this.d.leadership);
    const now = new Date(this.d.clock.now()).toISOString();
    let requeueAfterMs: number | undefined;
    const requeue = (ms: number) => (requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms));

    if (!w) {
      // Deleted workload: its instances go too (cascading delete).
      for (const i of instances) this.requestDeletion(i, batch, now, 'WorkloadDeleted');
      this.backoff.forget(workloadId);
      this.progress.done(workloadId);
      this.statusWrittenAt.delete(workloadId);
      await this.commit(batch, requeue);
      return { requeueAfterMs };
    }

    // Instances whose node is gone or Down cannot be reached: drop their records so replacements
    // are made; the node's agent stops them if it ever comes back.
    for (const i of instances) {
      if (!i.nodeId) continue;
      // A job's finished records are its history (completions, exit codes): kept whatever the node.
      if (w.kind === 'job' && (i.status === 'Succeeded' || i.status === 'Failed')) continue;
      const node = cache.nodes.get(i.nodeId);
      if (!node || node.status === 'Down') {
        batch.delete(i);
        this.d.events.warning({ kind: 'Instance', id: i.instanceId, name: i.name }, 'NodeLost', `node ${i.nodeId} is ${node ? 'Down' : 'gone'}; instance will be replaced`, { workloadId, nodeId: i.nodeId });
      }
    }
    const reachable = instances.filter((i) => !batch.touches(i));
    this.evictForNoExecute(w, reachable, batch, now, requeue);

    // Finished instances of services and daemons are replaced (after a backoff); jobs keep theirs.
    if (w.kind !== 'job') {
      for (const i of reachable) {
        if (i.status !== 'Failed' && i.status !== 'Succeeded') continue;
        if (i.deletionRequestedAt) continue;
        if (i.status === 'Failed') this.backoff.recordFailure(workloadId, i.instanceId);
        this.requestDeletion(i, batch, now, i.status === 'Failed' ? 'ReplacingFailed' : 'ReplacingCompleted');
      }
    }
    // Terminating records with no node (never placed) have nobody to finish them: remove now.
    for (const i of reachable) if (i.deletionRequestedAt && !i.nodeId && !batch.touches(i)) batch.delete(i);

    const live = reachable.filter((i) => isLive(i) && !batch.touches(i));

    // Place instances that are still waiting for a node.
    const unplaced = live.filter((i) => !i.nodeId);
    if (unplaced.length > 0) this.placeExisting(w, unplaced, batch, now);

    switch (w.kind) {
      case 'service':
        this.reconcileService(w, live, batch, now, requeue);
        break;
      case 'job': {
        if (jobFinished(w)) break;
        const plan = planJob(w, reachable, this.d.clock.now());
        this.createNew(w, plan.create, batch, now, live);
        for (const i of plan.remove) this.requestDeletion(i, batch, now, plan.removeReason ?? 'JobFinished');
        if (plan.requeueAfterMs !== undefined) requeue(plan.requeueAfterMs);
        break;
      }
      case 'daemon': {
        const plan = planDaemon(w, live, [...cache.nodes.values()]);
        for (const nodeId of plan.createOn) batch.create(newInstance(w, nodeId, now));
        for (const i of plan.remove) this.requestDeletion(i, batch, now, 'NodeNoLongerEligible');
        break;
      }
    }

    await this.commit(batch, requeue);
    await this.updateStatus(w, requeue);
    return { requeueAfterMs };
  }

  private reconcileService(w: WorkloadDefinition, live: WorkloadInstance[], batch: InstanceWriteBatch, now: string, requeue: (ms: number) => void): void {
    const current = live.filter((i) => i.revision === w.templateRevision);
    const old = live.filter((i) => i.revision !== w.templateRevision);

    if (old.length === 0) this.progress.done(w.workloadId);
    if (this.drainStep(w, live, batch, now)) return;
    if (old.length === 0 || w.strategy.type === 'Recreate') {
      if (old.length > 0) {
        // Recreate: all old copies go before any new one starts.
        for (const i of old) this.requestDeletion(i, batch, now, 'Recreate');
        return;
      }
      // ...and new ones wait until the old ones have stopped (their records still say Terminating).
      if (w.strategy.type === 'Recreate' && this.d.cache.instancesOf(w.workloadId).some((i) => i.revision !== w.templateRevision && i.status === 'Terminating')) return;
      const diff = w.replicas - current.length;
      if (diff > 0) {
        const wait = this.backoff.waitMs(w.workloadId);
        if (wait > 0) {
          requeue(wait);
          return;
        }
        this.createNew(w, diff, batch, now, live);
        this.d.events.normal({ kind: 'Workload', id: w.workloadId, name: w.name }, 'ScaledUp', `created ${diff} instance(s) for ${w.replicas} replica(s)`, { workloadId: w.workloadId });
      } else if (diff < 0) {
        const victims = selectVictims(current, -diff, (n) => this.nodeLoad(n));
        for (const v of victims) this.requestDeletion(v, batch, now, 'ScaledDown');
        this.d.events.normal({ kind: 'Workload', id: w.workloadId, name: w.name }, 'ScaledDown', `removing ${victims.length} instance(s): ${victims.map((v) => v.name).join(', ')}`, { workloadId: w.workloadId });
      }
      return;
    }

    if (w.paused) return;
    const available = live.filter((i) => this.isAvailable(w, i)).length;
    const { stalled, remainingMs } = this.progress.observe(w.workloadId, w.templateRevision, `${current.length}/${current.filter((i) => this.isAvailable(w, i)).length}/${available}/${old.length}`, w.progressDeadlineSeconds);
    if (stalled) {
      // A stalled rollout stops where it is and says so; an apply or an undo starts a new one.
      return;
    }
    requeue(remainingMs + 10);
    const step = rollingStep(w.replicas, rolloutLimits(w.strategy, w.replicas), current, old, (i) => this.isAvailable(w, i));
    if (step.create > 0) this.createNew(w, step.create, batch, now, live);
    for (const i of step.removeOld) this.requestDeletion(i, batch, now, 'RolloutReplaced');
    if (step.create > 0 || step.removeOld.length > 0) {
      this.d.events.normal({ kind: 'Workload', id: w.workloadId, name: w.name }, 'RolloutStep', `revision ${w.templateRevision}: +${step.create} new, -${step.removeOld.length} old (${current.length} new, ${old.length} old live)`, { workloadId: w.workloadId });
    }
    // Readiness of new copies unlocks the next step; their status reports requeue us, and
    // minReadySeconds needs a timer.
    if (w.minReadySeconds > 0) requeue(w.minReadySeconds * 1000);
  }

  /**
   * Moves instances off draining nodes one at a time: a new copy is placed elsewhere first, and an
   * old one is asked to stop only once a copy beyond the desired count is available. Returns whether
   * a drain is under way for this workload (normal scaling waits for it).
   */
  private drainStep(w: WorkloadDefinition, live: WorkloadInstance[], batch: InstanceWriteBatch, now: string): boolean {
    const onDraining = live.filter((i) => i.nodeId && this.d.cache.nodes.get(i.nodeId)?.draining);
    if (onDraining.length === 0) return false;
    const elsewhere = live.filter((i) => !onDraining.includes(i));
    const available = elsewhere.filter((i) => this.isAvailable(w, i));
    const inFlight = elsewhere.length - available.length;
    const removable = Math.min(onDraining.length, available.length + onDraining.length - w.replicas);
    const victims = [...onDraining].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(0, Math.max(0, removable));
    for (const v of victims) this.requestDeletion(v, batch, now, 'NodeDrained');
    if (elsewhere.length < w.replicas && inFlight === 0) this.createNew(w, 1, batch, now, live);
    if (victims.length > 0) this.d.events.normal({ kind: 'Workload', id: w.workloadId, name: w.name }, 'Drained', `moved ${victims.map((v) => v.name).join(', ')} off node ${victims[0].nodeId}`, { workloadId: w.workloadId });
    return true;
  }

  /** Creates `count` instances, placed by the scheduler where it can. */
  private createNew(w: WorkloadDefinition, count: number, batch: InstanceWriteBatch, now: string, live: WorkloadInstance[]): void {
    if (count <= 0) return;
    const decisions = this.schedule(w, count, live);
    let placed = 0;
    for (const d of decisions) {
      if (d.kind === 'AssignNode') {
        batch.create(newInstance(w, d.nodeId, now));
        placed++;
      } else {
        const preempting = d.kind === 'NoPlacement' && d.preemption ? this.preempt(w, d.preemption, batch, now) : undefined;
        const message = preempting ?? (d.kind === 'NoPlacement' ? d.reason : d.message);
        batch.create(newInstance(w, '', now, { reason: preempting ? 'Preempting' : 'Unschedulable', message, ...(preempting && d.kind === 'NoPlacement' ? { nominatedNodeId: d.preemption!.nodeId } : {}) }));
      }
    }
    this.reportScheduling(w, decisions, placed);
  }

  /**
   * Asks the plan's victims to stop so that a higher-priority instance fits; it is placed once they
   * are gone. Returns the message the waiting instance shows.
   */
  private preempt(w: WorkloadDefinition, plan: { nodeId: string; victims: string[] }, batch: InstanceWriteBatch, now: string): string | undefined {
    const victims = plan.victims.map((id) => this.d.cache.instances.get(id)).filter((v): v is WorkloadInstance => Boolean(v));
    if (victims.length === 0) return undefined;
    for (const v of victims) {
      if (v.deletionRequestedAt || batch.touches(v)) continue;
      batch.update({ ...v, deletionRequestedAt: now, status: 'Terminating', reason: 'Preempted', message: `preempted by ${w.name} (priority ${w.priority} > ${v.priority})` });
      this.d.events.warning({ kind: 'Instance', id: v.instanceId, name: v.name }, 'Preempted', `preempted on node ${plan.nodeId} to make room for ${w.name} (priority ${w.priority} > ${v.priority})`, { workloadId: v.workloadId, nodeId: plan.nodeId, source: 'scheduler' });
    }
    this.d.events.normal({ kind: 'Workload', id: w.workloadId, name: w.name }, 'Preempting', `evicting ${victims.map((v) => v.name).join(', ')} on node ${plan.nodeId} to make room`, { workloadId: w.workloadId, source: 'scheduler' });
    return `waiting for ${victims.length} lower-priority instance(s) on node ${plan.nodeId} to stop (preemption)`;
  }

  /** Instances on nodes with NoExecute taints they do not tolerate (for long enough) are asked to stop. */
  private evictForNoExecute(w: WorkloadDefinition, instances: WorkloadInstance[], batch: InstanceWriteBatch, now: string, requeue: (ms: number) => void): void {
    const byNode = new Map<string, WorkloadInstance[]>();
    for (const i of instances) {
      if (!i.nodeId || i.deletionRequestedAt || !isLive(i)) continue;
      const node = this.d.cache.nodes.get(i.nodeId);
      if (!node?.taints.some((t) => t.effect === 'NoExecute')) continue;
      byNode.set(i.nodeId, [...(byNode.get(i.nodeId) ?? []), i]);
    }
    for (const [nodeId, list] of byNode) {
      const node = this.d.cache.nodes.get(nodeId)!;
      for (const e of noExecuteEvictions(node.taints, list.map((i) => ({ instanceId: i.instanceId, tolerations: w.tolerations })))) {
        const i = list.find((x) => x.instanceId === e.instanceId)!;
        const since = Date.parse(node.statusSince ?? i.createdAt);
        const dueMs = e.afterSeconds * 1000 - (this.d.clock.now() - Math.max(since, Date.parse(i.createdAt)));
        if (e.afterSeconds > 0 && dueMs > 0) {
          requeue(dueMs);
          continue;
        }
        batch.update({ ...i, deletionRequestedAt: now, status: 'Terminating', reason: 'TaintEviction', message: `node ${node.name} has taint ${e.taint}` });
        this.d.events.warning({ kind: 'Instance', id: i.instanceId, name: i.name }, 'TaintEviction', `evicted: node ${node.name} has taint ${e.taint} that ${w.name} does not tolerate`, { workloadId: w.workloadId, nodeId });
      }
    }
  }

  private placeExisting(w: WorkloadDefinition, unplaced: WorkloadInstance[], batch: InstanceWriteBatch, now: string): void {
    const live = this.d.cache.instancesOf(w.workloadId).filter((i) => isLive(i) && i.nodeId);
    // `placing` sets their own reservations (on nominated nodes) aside for this call.
    const decisions = this.schedule(w, unplaced.length, live, unplaced.map((i) => i.instanceId));
    let placed = 0;
    let explanationChanged = false;
    decisions.forEach((d, k) => {
      const i = unplaced[k];
      if (d.kind === 'AssignNode') {
        batch.update({ ...i, nodeId: d.nodeId, scheduledAt: now, reason: 'Scheduled', message: undefined, nominatedNodeId: undefined });
        placed++;
        return;
      }
      const preempting = d.kind === 'NoPlacement' && d.preemption ? this.preempt(w, d.preemption, batch, now) : undefined;
      const message = preempting ?? (d.kind === 'NoPlacement' ? d.reason : d.message);
      if (i.message === message) return;
      batch.update({ ...i, reason: preempting ? 'Preempting' : 'Unschedulable', message, nominatedNodeId: preempting && d.kind === 'NoPlacement' ? d.preemption!.nodeId : undefined });
      explanationChanged = true;
    });
    // Say it again only when something changed, or a Pending workload would flood the events.
    if (placed > 0 || explanationChanged) this.reportScheduling(w, decisions, placed);
  }

  private schedule(w: WorkloadDefinition, count: number, live: readonly WorkloadInstance[], placing?: string[]): ScheduleDecision[] {
    const snapshot: ClusterSnapshot = this.d.cache.scheduling;
    try {
      return this.d.scheduler.schedule({ workload: w, currentInstances: live, count, requests: instanceRequests(w), hostPorts: instanceHostPorts(w), labels: instanceLabels(w), placing }, snapshot);
    } catch (err) {
      this.d.log.error({ err: String(err), workload: w.name }, 'scheduler failed');
      return Array.from({ length: count }, () => ({ kind: 'Error' as const, message: `scheduler error: ${(err as Error).message}` }));
    }
  }

  private reportScheduling(w: WorkloadDefinition, decisions: ScheduleDecision[], placed: number): void {
    const obj = { kind: 'Workload' as const, id: w.workloadId, name: w.name };
    if (placed > 0) this.d.events.normal(obj, 'Scheduled', `placed ${placed} instance(s)`, { workloadId: w.workloadId, source: 'scheduler' });
    const failed = decisions.find((d) => d.kind !== 'AssignNode');
    if (failed) {
      const message = failed.kind === 'NoPlacement' ? failed.reason : failed.kind === 'Error' ? failed.message : '';
      this.d.events.warning(obj, 'FailedScheduling', `${decisions.length - placed} instance(s) not placed: ${message}`, { workloadId: w.workloadId, source: 'scheduler' });
    }
  }

  /** Asks the instance's agent to stop it; an unplaced one is removed at once. */
  private requestDeletion(i: WorkloadInstance, batch: InstanceWriteBatch, now: string, reason: string): void {
    if (batch.touches(i)) return;
    if (!i.nodeId) {
      batch.delete(i);
      return;
    }
    if (i.deletionRequestedAt) return;
    batch.update({ ...i, deletionRequestedAt: now, status: i.status === 'Succeeded' || i.status === 'Failed' ? i.status : 'Terminating', reason });
  }

  private isAvailable(w: WorkloadDefinition, i: WorkloadInstance): boolean {
    if (!i.ready || i.status !== 'Running') return false;
    if (w.minReadySeconds === 0) return true;
    const since = i.readySince ? Date.parse(i.readySince) : NaN;
    return Number.isFinite(since) && this.d.clock.now() - since >= w.minReadySeconds * 1000;
  }

  private nodeLoad(nodeId: string): number {
    const info = this.d.cache.scheduling.node(nodeId);
    if (!info) return 0;
    const a = info.node.allocatable;
    const cpu = a.cpuCores > 0 ? info.requested.cpuMillicores / (a.cpuCores * 1000) : 0;
    const mem = a.memoryMb > 0 ? info.requested.memoryMb / a.memoryMb : 0;
    return Math.max(cpu, mem, info.instances.size / 1e6);
  }

  private async commit(batch: InstanceWriteBatch, requeue: (ms: number) => void): Promise<void> {
    if (batch.size === 0) return;
    const { conflicts } = await batch.commit();
    // Lost races resolve themselves once the watch brings the newer objects: look again shortly.
    if (conflicts > 0) requeue(50);
  }

  private async updateStatus(w: WorkloadDefinition, requeue: (ms: number) => void): Promise<void> {
    const instances = this.d.cache.instancesOf(w.workloadId);
    const stalled = this.progress.isStalled(w.workloadId, w.templateRevision);
    const now = this.d.clock.now();
    const next = computeWorkloadStatus(w, instances, (i) => this.isAvailable(w, i), now, stalled);
    if (!statusChanged(w.status, next)) return;
    // Counts alone (ready, available replicas) are written at most every STATUS_COUNTS_EVERY_MS: 50
    // containers starting would otherwise mean 50 workload writes. A new generation or condition is
    // written at once.
    const wait = (this.statusWrittenAt.get(w.workloadId) ?? -Infinity) + STATUS_COUNTS_EVERY_MS - now;
    if (wait > 0 && w.status.observedGeneration === next.observedGeneration && !conditionsChanged(w.status, next)) {
      requeue(wait);
      return;
    }
    const wasStalled = w.status.conditions.some((c) => c.reason === 'ProgressDeadlineExceeded');
    if (stalled && !wasStalled) {
      this.d.events.warning({ kind: 'Workload', id: w.workloadId, name: w.name }, 'ProgressDeadlineExceeded', `rollout to revision ${w.templateRevision} made no progress for ${w.progressDeadlineSeconds}s; stopped (undo or apply a fix)`, { workloadId: w.workloadId });
    }
    const guard = this.d.leadership.guard();
    const updated = { ...w, status: next };
    const res = await this.d.store.commit(guard ? [guard, this.d.store.workloads.put(updated)] : [this.d.store.workloads.put(updated)]);
    if (res.ok) {
      this.d.cache.workloads.applyLocal(updated, res.revision);
      this.statusWrittenAt.set(w.workloadId, now);
    } else requeue(50);
  }
}

import type { EventRecorder } from '../lib/event-recorder.js';
import { containerIdFor, CONTAINER_LABELS, type ContainerRuntime } from '../runtime/container-runtime.js';
import type { Clock } from '../types/clock.js';
import type { ContainerConfig } from '../types/container.js';
import { isOrchestrationError } from '../types/errors.js';
import { isTerminal, type ContainerStatus, type InstanceStatusReport, type WorkloadInstance, type WorkloadInstanceStatus } from '../types/instance.js';
import type { Logger } from '../types/logger.js';
import type { InstanceTemplate } from '../types/workload.js';
import type { RestartTracker } from './restart-tracker.js';

export interface SyncDeps {
  runtime: ContainerRuntime;
  templates: { get(workloadId: string, revision: number): Promise<InstanceTemplate> };
  restarts: RestartTracker;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  /** Readiness of a running container as its probes see it (true when it has none). */
  readiness(instanceId: string, container: ContainerConfig): boolean;
  /** Called when a container (re)starts or goes away, so probes can follow. */
  containerStarted(instance: WorkloadInstance, container: ContainerConfig, containerId: string): void;
  containerGone(containerId: string): void;
  /** Liveness verdicts: containers whose liveness probe failed and must be restarted. */
  takeLivenessFailure(containerId: string): string | undefined;
  /** Reports an instance's state while a slow step runs (an image pull), before the sync ends. */
  progress?(report: InstanceStatusReport): void;
  /** Runs the pre-stop hook of a container, if it has one, within the grace period. */
  preStop(nodeId: string, containerId: string, container: ContainerConfig | undefined, gracePeriodMs: number): Promise<void>;
}

export type SyncOutcome = {
  report?: InstanceStatusReport;
  finalize?: boolean;
  requeueAfterMs?: number;
  /** The instance's containers the runtime holds after this sync (so the agent need not look again); absent: none. */
  present?: string[];
};

/**
 * Makes one instance's containers on this node match what the control plane wants, and says what
 * they are now. Level-based: it reads the runtime every time and trusts nothing remembered but
 * restart counts. `known` lists the runtime's containers of the instance (found by label), which
 * matters when the instance's record is gone and only the containers remain.
 */
export async function syncInstance(d: SyncDeps, nodeId: string, instanceId: string, desired: WorkloadInstance | undefined, known: string[]): Promise<SyncOutcome> {
  if (!desired || desired.deletionRequestedAt || desired.nodeId !== nodeId) {
    await stopAll(d, nodeId, desired, known);
    return { finalize: Boolean(desired && desired.deletionRequestedAt && desired.nodeId === nodeId) };
  }

  const template = await d.templates.get(desired.workloadId, desired.revision);
  const now = d.clock.now();
  const statuses: ContainerStatus[] = [];
  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => (requeueAfterMs = Math.max(0, Math.min(requeueAfterMs ?? Infinity, ms)));
  const reported = new Map(desired.containers.map((c) => [c.name, c]));
  const present = new Set<string>();

  // Containers of an older revision or a renamed container: not part of this instance any more.
  const wanted = new Set(template.containers.map((c) => containerIdFor(instanceId, c.name)));
  for (const cid of known) if (!wanted.has(cid)) await removeContainer(d, nodeId, cid, 0);

  for (const spec of template.containers) {
    const cid = containerIdFor(instanceId, spec.name);
    d.restarts.seed(cid, reported.get(spec.name)?.restartCount ?? 0, reported.get(spec.name)?.lastTermination);
    let st = await statusOf(d, nodeId, cid);

    const livenessFailure = st?.state === 'Running' ? d.takeLivenessFailure(cid) : undefined;
    if (st && livenessFailure) {
      d.events.warning(obj(desired), 'Unhealthy', `container ${spec.name}: liveness probe failed (${livenessFailure}); restarting`, { workloadId: desired.workloadId, nodeId, source: `agent/${nodeId}` });
      await d.preStop(nodeId, cid, spec, template.terminationGracePeriodSeconds * 1000);
      await d.runtime.stopContainer(nodeId, cid, template.terminationGracePeriodSeconds * 1000);
      st = await statusOf(d, nodeId, cid);
    }

    if (!st) {
      // Never created, or removed: a finished instance is not started again.
      if (isTerminal(desired.status) || reported.get(spec.name)?.state === 'Stopped') {
        if (reported.get(spec.name)) statuses.push(reported.get(spec.name)!);
        continue;
      }
      st = await start(d, nodeId, desired, spec, cid);
      statuses.push(st);
      if (st.state !== 'Error') present.add(cid);
      if (st.state === 'Error') {
        const at = d.restarts.planRestart(cid, 0, now);
        statuses[statuses.length - 1] = { ...st, reason: st.reason, nextRetryAt: new Date(at).toISOString() };
        requeue(at - now);
      }
      continue;
    }

    if (st.state === 'Running' || st.state === 'Created' || st.state === 'Starting') {
      statuses.push({ ...st, name: spec.name, restartCount: d.restarts.restarts(cid), ready: st.state === 'Running' && d.readiness(instanceId, spec), lastTermination: d.restarts.lastTermination(cid) });
      present.add(cid);
      continue;
    }

    // Stopped or Error: restart per policy, after the crash-loop backoff.
    d.containerGone(cid);
    const exitCode = st.exitCode;
    const policy = template.restartPolicy;
    // A container killed for failing its liveness probe is restarted by the policy like any other exit (Kubernetes does the same).
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    const termination = { exitCode, reason: st.reason ?? (exitCode === 0 ? 'Completed' : 'Error'), finishedAt: st.finishedAt };
    if (!restart) {
      statuses.push({ ...st, name: spec.name, restartCount: d.restarts.restarts(cid), ready: false, reason: termination.reason });
      present.add(cid);
      continue;
    }
    const ranMs = st.startedAt && st.finishedAt ? Date.parse(st.finishedAt) - Date.parse(st.startedAt) : 0;
    const at = d.restarts.planRestart(cid, ranMs, now);
    if (at > now) {
      const wait = Math.round((at - now) / 1000);
      if (reported.get(spec.name)?.reason !== 'CrashLoopBackOff') {
        d.events.warning(obj(desired), 'BackOff', `container ${spec.name} exited (${termination.reason}, code ${exitCode ?? 'unknown'}); restarting in ${wait}s`, { workloadId: desired.workloadId, nodeId, source: `agent/${nodeId}` });
      }
      statuses.push({ ...st, name: spec.name, state: 'Stopped', ready: false, reason: 'CrashLoopBackOff', message: `back-off ${wait}s restarting failed container`, restartCount: d.restarts.restarts(cid), lastTermination: termination, nextRetryAt: new Date(at).toISOString() });
      requeue(at - now);
      present.add(cid);
      continue;
    }
    // The restart count and backoff live on across the old container's removal.
    await removeContainer(d, nodeId, cid, 0, { keepRestarts: true });
    d.restarts.restarted(cid, termination);
    const started = await start(d, nodeId, desired, spec, cid);
    statuses.push({ ...started, lastTermination: termination });
    if (started.state !== 'Error') present.add(cid);
    d.events.normal(obj(desired), 'Restarted', `container ${spec.name} restarted (restart ${d.restarts.restarts(cid)}; last exit ${termination.reason}, code ${exitCode ?? 'unknown'})`, { workloadId: desired.workloadId, nodeId, source: `agent/${nodeId}` });
  }

  return { report: summarize(desired, statuses), requeueAfterMs, present: [...present] };
}

async function start(d: SyncDeps, nodeId: string, inst: WorkloadInstance, spec: ContainerConfig, cid: string): Promise<ContainerStatus> {
  const labels = {
    [CONTAINER_LABELS.instance]: inst.instanceId,
    [CONTAINER_LABELS.workload]: inst.workloadId,
    [CONTAINER_LABELS.container]: spec.name,
    [CONTAINER_LABELS.revision]: String(inst.revision),
  };
  try {
    await d.runtime.createContainer(nodeId, cid, spec, {
      labels,
      hostname: inst.name,
      onProgress: (p) => {
        d.events.normal(obj(inst), p.phase === 'pulled' ? 'Pulled' : 'Pulling', p.message, { workloadId: inst.workloadId, nodeId, source: `agent/${nodeId}` });
        // While the image arrives the instance waits in Pending and says so.
        if (p.phase !== 'pulled') d.progress?.({ instanceId: inst.instanceId, status: 'Pending', ready: false, containers: inst.containers, reason: 'ImagePulling', message: `container ${spec.name}: ${p.message}` });
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const reason = message.startsWith('ImagePullError') ? 'ImagePullError' : 'ContainerCannotRun';
    d.events.warning(obj(inst), 'Failed', `container ${spec.name}: ${message}`, { workloadId: inst.workloadId, nodeId, source: `agent/${nodeId}` });
    // Clean up half-made state so the next attempt starts from nothing.
    await d.runtime.removeContainer(nodeId, cid).catch(() => {});
    return { containerId: cid, name: spec.name, state: 'Error', reason, message, restartCount: d.restarts.restarts(cid), ready: false };
  }
  d.containerStarted(inst, spec, cid);
  const st = (await statusOf(d, nodeId, cid)) ?? { containerId: cid, name: spec.name, state: 'Created' as const, restartCount: 0 };
  d.events.normal(obj(inst), 'Started', `container ${spec.name} started${st.pid ? ` (pid ${st.pid})` : ''}`, { workloadId: inst.workloadId, nodeId, source: `agent/${nodeId}` });
  return { ...st, name: spec.name, restartCount: d.restarts.restarts(cid), ready: st.state === 'Running' && d.readiness(inst.instanceId, spec) };
}

async function stopAll(d: SyncDeps, nodeId: string, desired: WorkloadInstance | undefined, known: string[]): Promise<void> {
  let template: InstanceTemplate | undefined;
  if (desired) template = await d.templates.get(desired.workloadId, desired.revision).catch(() => undefined);
  const graceMs = (template?.terminationGracePeriodSeconds ?? desired?.gracePeriodSeconds ?? 30) * 1000;
  // Container ids follow from the instance and its template, so they are stopped whether or not the
  // agent's last list of the runtime caught them (one being created while it listed, say): a
  // container must not outlive its instance's record. Stopping one that does not exist is a no-op.
  const targets = new Set(known);
  if (desired) for (const c of template?.containers ?? desired.containers) targets.add(containerIdFor(desired.instanceId, c.name));
  await Promise.all(
    [...targets].map(async (cid) => {
      const spec = template?.containers.find((c) => containerIdFor(desired!.instanceId, c.name) === cid);
      await d.preStop(nodeId, cid, spec, graceMs);
      await removeContainer(d, nodeId, cid, graceMs);
    }),
  );
  if (desired && known.length > 0) d.events.normal(obj(desired), 'Killed', `stopped ${known.length} container(s)${desired.reason ? ` (${desired.reason})` : ''}`, { workloadId: desired.workloadId, nodeId, source: `agent/${nodeId}` });
}

async function removeContainer(d: SyncDeps, nodeId: string, cid: string, graceMs: number, o: { keepRestarts?: boolean } = {}): Promise<void> {
  d.containerGone(cid);
  await d.runtime.stopContainer(nodeId, cid, graceMs).catch((err) => d.log.warn({ cid, err: String(err) }, 'stop failed'));
  await d.runtime.removeContainer(nodeId, cid).catch((err) => d.log.warn({ cid, err: String(err) }, 'remove failed'));
  if (!o.keepRestarts) d.restarts.forget(cid);
}

async function statusOf(d: SyncDeps, nodeId: string, cid: string): Promise<ContainerStatus | undefined> {
  try {
    return await d.runtime.getContainerStatus(nodeId, cid);
  } catch (err) {
    if (isOrchestrationError(err, 'NotFound')) return undefined;
    throw err;
  }
}

/** The instance's status from its containers' (Kubernetes' pod phase rules). */
export function summarize(inst: WorkloadInstance, containers: ContainerStatus[]): InstanceStatusReport {
  let status: WorkloadInstanceStatus;
  const running = containers.filter((c) => c.state === 'Running');
  const waiting = containers.filter((c) => c.nextRetryAt);
  const stopped = containers.filter((c) => (c.state === 'Stopped' || c.state === 'Error') && !c.nextRetryAt);
  if (containers.length > 0 && stopped.length === containers.length) status = stopped.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (running.length > 0 || waiting.length > 0) status = 'Running';
  else status = 'Pending';
  const problem = containers.find((c) => c.reason && c.reason !== 'Completed' && (c.state !== 'Running' || c.nextRetryAt));
  const ready = status === 'Running' && containers.length > 0 && containers.every((c) => c.state === 'Running' && c.ready !== false);
  const startedAt = running.map((c) => c.startedAt).filter(Boolean).sort()[0] ?? inst.startedAt;
  const finishedAt = status === 'Succeeded' || status === 'Failed' ? containers.map((c) => c.finishedAt).filter(Boolean).sort().pop() : undefined;
  return {
    instanceId: inst.instanceId,
    status,
    ready,
    // The runtime's labels say which instance a container belongs to: the node's bookkeeping for
    // adoption, not part of the instance's status (and 150,000 copies of them weigh on the cluster).
    containers: containers.map(({ labels: _bookkeeping, ...c }) => c),
    ...(problem ? { reason: problem.reason, message: problem.message ?? `container ${problem.name}: ${problem.reason}` } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
  };
}

function obj(i: WorkloadInstance) {
  return { kind: 'Instance' as const, id: i.instanceId, name: i.name };
}

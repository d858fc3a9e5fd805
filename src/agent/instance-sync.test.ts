import { beforeEach, describe, expect, it } from 'vitest';
import { EventRecorder } from '../lib/event-recorder.js';
import { containerIdFor } from '../runtime/container-runtime.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { ManualClock } from '../types/clock.js';
import type { ContainerConfig } from '../types/container.js';
import type { ClusterEventRecord } from '../types/event.js';
import type { WorkloadInstance } from '../types/instance.js';
import { silentLogger } from '../types/logger.js';
import type { InstanceTemplate, RestartPolicy } from '../types/workload.js';
import { summarize, syncInstance, type SyncDeps } from './instance-sync.js';
import { RestartTracker } from './restart-tracker.js';

const NODE = 'n1';
let clock: ManualClock;
let runtime: SimulatedRuntime;
let events: ClusterEventRecord[];
let recorder: EventRecorder;
let template: InstanceTemplate;
let deps: SyncDeps;

function container(name: string, env: Record<string, string> = {}): ContainerConfig {
  return { name, image: 'busybox', env } as ContainerConfig;
}

function instance(p: Partial<WorkloadInstance> = {}): WorkloadInstance {
  return {
    instanceId: 'web-abc', name: 'web-abc', workloadId: 'w1', workloadName: 'web', nodeId: NODE, status: 'Pending', ready: false, containers: [], revision: 1,
    labels: {}, priority: 0, requests: { cpuMillicores: 0, memoryMb: 0, diskMb: 0, extended: {} }, hostPorts: [], createdAt: '2026-01-01T00:00:00.000Z', resourceVersion: '1', ...p,
  };
}

function use(policy: RestartPolicy, ...containers: ContainerConfig[]): void {
  template = { containers, restartPolicy: policy, terminationGracePeriodSeconds: 1 };
}

async function known(instanceId = 'web-abc'): Promise<string[]> {
  return (await runtime.listContainers(NODE)).filter((c) => c.containerId.startsWith(`${instanceId}.`)).map((c) => c.containerId);
}

/** One agent pass, feeding back what it reported as the stored instance (the control plane's merge). */
async function pass(inst: WorkloadInstance): Promise<{ inst: WorkloadInstance; requeueAfterMs?: number; finalize?: boolean }> {
  const out = await syncInstance(deps, NODE, inst.instanceId, inst, await known(inst.instanceId));
  const next = out.report ? { ...inst, status: out.report.status, ready: out.report.ready, containers: out.report.containers, reason: out.report.reason, message: out.report.message } : inst;
  return { inst: next, requeueAfterMs: out.requeueAfterMs, finalize: out.finalize };
}

beforeEach(async () => {
  clock = new ManualClock(Date.parse('2026-01-01T00:00:00.000Z'));
  runtime = new SimulatedRuntime({ clock });
  await runtime.initNode(NODE);
  events = [];
  recorder = new EventRecorder(async (b) => void events.push(...b), silentLogger, 3_600_000);
  use('Always', container('main'));
  deps = {
    runtime,
    templates: { get: async () => template },
    restarts: new RestartTracker(),
    events: recorder,
    clock,
    log: silentLogger,
    readiness: () => true,
    containerStarted: () => {},
    containerGone: () => {},
    takeLivenessFailure: () => undefined,
    preStop: async () => {},
  };
});

async function reasons(): Promise<string[]> {
  await recorder.flush();
  return events.map((e) => e.reason);
}

describe('syncInstance', () => {
  it('creates every missing container, labelled with its instance, and reports the instance Running and ready', async () => {
    use('Always', container('main'), container('sidecar'));
    const { inst } = await pass(instance());
    expect((await known()).sort()).toEqual([containerIdFor('web-abc', 'main'), containerIdFor('web-abc', 'sidecar')]);
    const [main] = await runtime.listContainers(NODE);
    expect(main.labels).toMatchObject({ 'orchestrator.instance': 'web-abc', 'orchestrator.workload': 'w1' });
    expect(inst).toMatchObject({ status: 'Running', ready: true });
    expect(inst.containers.map((c) => `${c.name}:${c.state}:${c.restartCount}`)).toEqual(['main:Running:0', 'sidecar:Running:0']);
    expect(await reasons()).toEqual(['Started', 'Started']);
  });

  it('restarts a crashed container at once the first time, then waits out CrashLoopBackOff (10 s, then 20 s)', async () => {
    use('Always', container('main', { SIM_RUN_FOR: '1000', SIM_EXIT_CODE: '1' }));
    let r = await pass(instance());
    clock.advance(1_000);
    r = await pass(r.inst);
    expect(r.inst.containers[0]).toMatchObject({ state: 'Running', restartCount: 1, lastTermination: { exitCode: 1, reason: 'Error' } });

    clock.advance(1_000);
    r = await pass(r.inst);
    expect(r.requeueAfterMs).toBe(10_000);
    expect(r.inst.containers[0]).toMatchObject({ state: 'Stopped', reason: 'CrashLoopBackOff', restartCount: 1 });
    expect(r.inst.containers[0].nextRetryAt).toBe(new Date(clock.now() + 10_000).toISOString());
    expect(r.inst).toMatchObject({ status: 'Running', ready: false, reason: 'CrashLoopBackOff' });
    // Too early: still waiting, nothing restarted.
    clock.advance(9_999);
    r = await pass(r.inst);
    expect(r.inst.containers[0].restartCount).toBe(1);
    clock.advance(1);
    r = await pass(r.inst);
    expect(r.inst.containers[0]).toMatchObject({ state: 'Running', restartCount: 2 });

    clock.advance(1_000);
    r = await pass(r.inst);
    expect(r.requeueAfterMs).toBe(20_000);
    await recorder.flush();
    const count = (reason: string) => events.filter((e) => e.reason === reason).reduce((n, e) => n + e.count, 0);
    expect({ started: count('Started'), restarted: count('Restarted'), backOff: count('BackOff') }).toEqual({ started: 3, restarted: 2, backOff: 2 });
  });

  it.each([
    ['Never', '0', 'Succeeded'],
    ['Never', '3', 'Failed'],
    ['OnFailure', '0', 'Succeeded'],
  ] as const)('with restartPolicy %s an exit code %s ends the instance %s and does not restart it', async (policy, code, expected) => {
    use(policy, container('main', { SIM_RUN_FOR: '500', SIM_EXIT_CODE: code }));
    let r = await pass(instance());
    clock.advance(500);
    r = await pass(r.inst);
    expect(r.inst.status).toBe(expected);
    expect(r.inst.containers[0]).toMatchObject({ state: 'Stopped', exitCode: Number(code), restartCount: 0 });
    r = await pass(r.inst);
    expect(r.inst.status).toBe(expected);
    expect(await reasons()).not.toContain('Restarted');
  });

  it('with restartPolicy OnFailure restarts a container that exited non-zero', async () => {
    use('OnFailure', container('main', { SIM_RUN_FOR: '500', SIM_EXIT_CODE: '2' }));
    let r = await pass(instance());
    clock.advance(500);
    r = await pass(r.inst);
    expect(r.inst).toMatchObject({ status: 'Running' });
    expect(r.inst.containers[0].restartCount).toBe(1);
  });

  it('restarts a running container whose liveness probe failed, and says why', async () => {
    let verdict: string | undefined;
    deps.takeLivenessFailure = () => {
      const v = verdict;
      verdict = undefined;
      return v;
    };
    let r = await pass(instance());
    verdict = 'HTTP 500 from /healthz';
    r = await pass(r.inst);
    expect(r.inst.containers[0]).toMatchObject({ state: 'Running', restartCount: 1, lastTermination: { exitCode: 143 } });
    await recorder.flush();
    expect(events.find((e) => e.reason === 'Unhealthy')?.message).toBe('container main: liveness probe failed (HTTP 500 from /healthz); restarting');
  });

  it('reports a container that cannot start as an Error waiting for a retry', async () => {
    use('Always', container('main', { SIM_START_ERROR: 'no such binary' }));
    const { inst } = await pass(instance());
    expect(inst.containers[0]).toMatchObject({ state: 'Error', reason: 'ContainerCannotRun' });
    expect(inst.containers[0].message).toContain('no such binary');
    expect(await known()).toEqual([]);
    expect(await reasons()).toEqual(['Failed']);
  });

  it('stops and removes the containers of an instance asked to stop, and says the record may go', async () => {
    use('Always', container('main'), container('sidecar'));
    const { inst } = await pass(instance());
    const out = await syncInstance(deps, NODE, inst.instanceId, { ...inst, deletionRequestedAt: new Date(clock.now()).toISOString(), reason: 'ScaledDown' }, await known());
    expect(out).toEqual({ finalize: true });
    expect(await known()).toEqual([]);
    const all = await reasons();
    expect(all[all.length - 1]).toBe('Killed');
    expect(events[events.length - 1].message).toBe('stopped 2 container(s) (ScaledDown)');
  });

  it('stops the containers of an instance asked to stop even when the agent\'s list of them is stale', async () => {
    // A periodic relist of the runtime that ran while the container was being created did not see it.
    const { inst } = await pass(instance());
    expect(await known()).toHaveLength(1);
    const out = await syncInstance(deps, NODE, inst.instanceId, { ...inst, deletionRequestedAt: new Date(clock.now()).toISOString() }, []);
    expect(out).toEqual({ finalize: true });
    expect(await known()).toEqual([]);
  });

  it('removes containers of an instance bound elsewhere or gone, without finalizing a record it does not own', async () => {
    const { inst } = await pass(instance());
    expect(await syncInstance(deps, NODE, inst.instanceId, { ...inst, nodeId: 'n2' }, await known())).toEqual({ finalize: false });
    expect(await known()).toEqual([]);
    const again = await pass(instance({ instanceId: 'web-def', name: 'web-def' }));
    expect(await known('web-def')).toHaveLength(1);
    expect(await syncInstance(deps, NODE, 'web-def', undefined, await known('web-def'))).toEqual({ finalize: false });
    expect(await known('web-def')).toEqual([]);
    expect(again.inst.status).toBe('Running');
  });

  it('removes a container the new template no longer has', async () => {
    use('Always', container('main'), container('old-sidecar'));
    const { inst } = await pass(instance());
    use('Always', container('main'));
    const r = await pass(inst);
    expect(await known()).toEqual([containerIdFor('web-abc', 'main')]);
    expect(r.inst.containers.map((c) => c.name)).toEqual(['main']);
  });
});

describe('summarize', () => {
  const base = { containerId: 'c', name: 'c', restartCount: 0 };
  it('follows pod phase rules', () => {
    const i = instance();
    expect(summarize(i, []).status).toBe('Pending');
    expect(summarize(i, [{ ...base, state: 'Running', ready: false }])).toMatchObject({ status: 'Running', ready: false });
    expect(summarize(i, [{ ...base, state: 'Stopped', exitCode: 0 }, { ...base, state: 'Stopped', exitCode: 0 }]).status).toBe('Succeeded');
    expect(summarize(i, [{ ...base, state: 'Stopped', exitCode: 0 }, { ...base, state: 'Error', exitCode: 1 }]).status).toBe('Failed');
    expect(summarize(i, [{ ...base, state: 'Stopped', exitCode: 1, nextRetryAt: 'x', reason: 'CrashLoopBackOff' }])).toMatchObject({ status: 'Running', reason: 'CrashLoopBackOff' });
    expect(summarize(i, [{ ...base, state: 'Created' }]).status).toBe('Pending');
  });

  it('reports containers without the runtime\'s bookkeeping labels', () => {
    const report = summarize(instance(), [{ ...base, state: 'Running', labels: { 'orchestrator.instance': 'x' } }]);
    expect(report.containers).toEqual([{ ...base, state: 'Running' }]);
  });
});

describe('RestartTracker', () => {
  it('keeps counting from a seeded count, forgives a container that ran 10 minutes, and forgets on removal', () => {
    const t = new RestartTracker();
    t.seed('c', 4);
    t.seed('c', 0);
    expect(t.restarts('c')).toBe(4);
    expect(t.planRestart('c', 1_000, 0)).toBe(0);
    expect(t.planRestart('c', 1_000, 500)).toBe(0); // already planned: the same time
    t.restarted('c');
    expect(t.planRestart('c', 1_000, 0)).toBe(10_000);
    t.restarted('c');
    expect(t.planRestart('c', 600_000, 0)).toBe(0);
    expect(t.restarts('c')).toBe(6);
    t.forget('c');
    expect(t.restarts('c')).toBe(0);
  });
});

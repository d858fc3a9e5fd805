/**
 * The scheduler alone, without store or core: a synthetic cluster in a SchedulerState, workloads
 * scheduled one call each (as the core asks, a whole workload's missing copies at once), every
 * decision bound back into the state as the core would after committing it. Used by
 * `npm run bench -- scheduler` beside the end-to-end figures.
 */
import { createScheduler, SchedulerState, type Scheduler } from '../src/scheduler/index.js';
import { makeInstance, makeNode, makeWorkload, requestFor, type WorkloadSpecPart } from '../src/scheduler/testing/fixtures.js';
import type { Node } from '../src/types/node.js';
import type { WorkloadDefinition } from '../src/types/workload.js';

export interface SchedulerAloneOptions {
  nodes?: number;
  workloads?: number;
  replicasPerWorkload?: number;
  /** `default` unless told. */
  scheduler?: string;
  resourceStrategy?: 'spread' | 'binpack';
}

export interface SchedulerAloneResult {
  scheduler: string;
  nodes: number;
  workloads: number;
  decisions: number;
  placed: number;
  unplaced: number;
  /** Time inside `schedule` only. */
  scheduleSeconds: number;
  decisionsPerSecond: number;
  /**
   * Decisions per second of CPU time spent in `schedule` (user + system): the same figure with
   * the machine's other load taken out, for comparing runs on a busy machine.
   */
  decisionsPerCpuSecond: number;
  /** Time to bind the decisions back into the state (the core's cache update). */
  bindSeconds: number;
  p99CallMs: number;
  peakRssMb: number;
}

const ZONES = 5;

/** Node i: zone, rack, disk type; one in ten has gpus and a gpu taint, one in twenty a PreferNoSchedule taint. */
export function benchNode(i: number): Node {
  const gpu = i % 10 === 0;
  return makeNode(`node-${String(i).padStart(5, '0')}`, {
    cpu: 16,
    memoryMb: 65_536,
    diskMb: 500_000,
    ...(gpu ? { extended: { gpu: 4 } } : {}),
    labels: { zone: `zone-${i % ZONES}`, rack: `rack-${Math.floor(i / 40)}`, disk: i % 3 === 0 ? 'ssd' : 'hdd', ...(gpu ? { accelerator: 'gpu' } : {}) },
    taints: gpu ? [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] : i % 20 === 5 ? [{ key: 'old-kernel', effect: 'PreferNoSchedule' }] : [],
  });
}

/**
 * Workload w: requests from 100m/128MB to 500m/1GB, and one placement flavour in turn — plain,
 * nodeSelector on ssd, anti-affinity one per node, spread over zones (maxSkew 1), preferred zone
 * affinity, and, for one workload in a hundred, gpus with a toleration.
 */
export function benchWorkload(w: number, replicas: number): WorkloadDefinition {
  const id = `wl-${String(w).padStart(5, '0')}`;
  const requests = { cpuMillicores: 100 + (w % 5) * 100, memoryMb: 128 * (1 + (w % 8)) };
  const spec: WorkloadSpecPart = { labels: { app: id, team: `team-${w % 20}` }, requests, replicas };
  if (w % 100 === 99) {
    spec.requests = { ...requests, extended: { gpu: 1 } };
    spec.tolerations = [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }];
    spec.nodeSelector = { accelerator: 'gpu' };
  } else {
    switch (w % 6) {
      case 1:
        spec.nodeSelector = { disk: 'ssd' };
        break;
      case 2:
        spec.affinity = { instanceAntiAffinity: { required: [{ labelSelector: { matchLabels: { app: id } }, topologyKey: 'node' }] } };
        break;
      case 3:
        spec.topologySpread = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
        break;
      case 4:
        spec.affinity = { nodeAffinity: { preferred: [{ weight: 50, term: { matchExpressions: [{ key: 'zone', operator: 'In', values: [`zone-${w % ZONES}`] }] } }] } };
        break;
    }
  }
  return makeWorkload(id, spec);
}

export function measureSchedulerAlone(options: SchedulerAloneOptions = {}): SchedulerAloneResult {
  const nodeCount = options.nodes ?? 5000;
  const workloadCount = options.workloads ?? 1500;
  const replicas = options.replicasPerWorkload ?? 100;
  const name = options.scheduler ?? 'default';
  const scheduler: Scheduler = createScheduler(name, { resourceStrategy: options.resourceStrategy });
  const state = new SchedulerState();
  for (let i = 0; i < nodeCount; i++) state.upsertNode(benchNode(i));

  let peakRss = process.memoryUsage().rss;
  let scheduleNs = 0n;
  let scheduleCpuUs = 0;
  let bindNs = 0n;
  let placed = 0;
  let unplaced = 0;
  const callMs: number[] = [];
  for (let w = 0; w < workloadCount; w++) {
    const workload = benchWorkload(w, replicas);
    state.upsertWorkload(workload);
    const request = requestFor(workload, replicas);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const decisions = scheduler.schedule(request, state);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    scheduleCpuUs += c1.user + c1.system;
    decisions.forEach((d, k) => {
      if (d.kind !== 'AssignNode') {
        unplaced++;
        return;
      }
      placed++;
      state.bind(makeInstance(`${workload.workloadId}-${k}`, workload, d.nodeId));
    });
    const t2 = process.hrtime.bigint();
    scheduleNs += t1 - t0;
    bindNs += t2 - t1;
    callMs.push(Number(t1 - t0) / 1e6);
    if (w % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  callMs.sort((a, b) => a - b);
  const scheduleSeconds = Number(scheduleNs) / 1e9;
  const decisions = placed + unplaced;
  return {
    scheduler: name,
    nodes: nodeCount,
    workloads: workloadCount,
    decisions,
    placed,
    unplaced,
    scheduleSeconds: round(scheduleSeconds),
    decisionsPerSecond: Math.round(decisions / scheduleSeconds),
    decisionsPerCpuSecond: Math.round(decisions / (scheduleCpuUs / 1e6)),
    bindSeconds: round(Number(bindNs) / 1e9),
    p99CallMs: round(callMs[Math.min(callMs.length - 1, Math.ceil(callMs.length * 0.99) - 1)] ?? 0),
    peakRssMb: Math.round(peakRss / 2 ** 20),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

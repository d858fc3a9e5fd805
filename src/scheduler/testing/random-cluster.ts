/**
 * fast-check generators of small clusters and workloads for the scheduler's property tests, and a
 * runner that schedules workloads one after another as the core would (each decision bound back
 * into the state).
 */
import fc from 'fast-check';
import type { Node } from '../../types/node.js';
import type { Taint, Toleration } from '../../types/placement.js';
import type { WorkloadDefinition } from '../../types/workload.js';
import { SchedulerState } from '../cluster-state.js';
import { DefaultScheduler, type DefaultSchedulerOptions } from '../default-scheduler.js';
import type { ScheduleDecision } from '../scheduler.js';
import { makeInstance, makeNode, makeWorkload, requestFor } from './fixtures.js';

export const TAINTS: Taint[] = [
  { key: 'gpu', value: 'true', effect: 'NoSchedule' },
  { key: 'maint', effect: 'NoExecute' },
  { key: 'old', effect: 'PreferNoSchedule' },
  { key: 'team', value: 'a', effect: 'NoSchedule' },
];
export const TOLERATIONS: Toleration[] = [
  { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
  { key: 'maint', operator: 'Exists' },
  { key: 'team', operator: 'Equal', value: 'b' },
  { key: 'team', operator: 'Exists', effect: 'NoSchedule' },
  { operator: 'Exists', effect: 'PreferNoSchedule' },
];

export const nodeArb = fc.record({
  cpu: fc.integer({ min: 1, max: 8 }),
  memoryMb: fc.integer({ min: 512, max: 8192 }),
  gpu: fc.integer({ min: 0, max: 2 }),
  zone: fc.option(fc.constantFrom('z0', 'z1', 'z2'), { nil: undefined }),
  disk: fc.constantFrom('ssd', 'hdd'),
  taints: fc.subarray(TAINTS, { maxLength: 2 }),
  notReady: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  cordoned: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
});

export const workloadArb = fc.record({
  cpu: fc.integer({ min: 0, max: 2000 }),
  memoryMb: fc.integer({ min: 1, max: 3000 }),
  gpu: fc.integer({ min: 0, max: 1 }),
  replicas: fc.integer({ min: 1, max: 8 }),
  tier: fc.constantFrom('a', 'b'),
  ssdOnly: fc.boolean(),
  tolerations: fc.subarray(TOLERATIONS, { maxLength: 3 }),
  antiAffinity: fc.constantFrom('none', 'self-node', 'self-zone', 'tier-node'),
  spread: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  affinity: fc.constantFrom('none', 'none', 'self-node', 'self-zone', 'tier-zone'),
  hostPort: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
  priority: fc.integer({ min: 0, max: 3 }),
});

export type WorkloadGen = typeof workloadArb extends fc.Arbitrary<infer T> ? T : never;
export type NodeSpecGen = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;

export function toNode(g: NodeSpecGen, i: number): Node {
  return makeNode(`n${String(i).padStart(2, '0')}`, {
    cpu: g.cpu,
    memoryMb: g.memoryMb,
    ...(g.gpu > 0 ? { extended: { gpu: g.gpu } } : {}),
    labels: { disk: g.disk, ...(g.zone ? { zone: g.zone } : {}) },
    taints: g.taints,
    status: g.notReady ? 'NotReady' : 'Ready',
    unschedulable: g.cordoned,
  });
}

export function toWorkload(g: WorkloadGen, i: number): WorkloadDefinition {
  const id = `w${i}`;
  const anti =
    g.antiAffinity === 'none'
      ? undefined
      : {
          required: [
            {
              labelSelector: { matchLabels: (g.antiAffinity === 'tier-node' ? { tier: g.tier } : { app: id }) as Record<string, string> },
              topologyKey: g.antiAffinity === 'self-zone' ? 'zone' : 'node',
            },
          ],
        };
  const affinity =
    g.affinity === 'none'
      ? undefined
      : {
          required: [
            {
              labelSelector: { matchLabels: (g.affinity === 'tier-zone' ? { tier: g.tier === 'a' ? 'b' : 'a' } : { app: id }) as Record<string, string> },
              topologyKey: g.affinity === 'self-node' ? 'node' : 'zone',
            },
          ],
        };
  return makeWorkload(id, {
    labels: { app: id, tier: g.tier },
    requests: { cpuMillicores: g.cpu, memoryMb: g.memoryMb, ...(g.gpu > 0 ? { extended: { gpu: g.gpu } } : {}) },
    replicas: g.replicas,
    ...(g.ssdOnly ? { nodeSelector: { disk: 'ssd' } } : {}),
    tolerations: g.tolerations,
    ...(anti || affinity ? { affinity: { ...(anti ? { instanceAntiAffinity: anti } : {}), ...(affinity ? { instanceAffinity: affinity } : {}) } } : {}),
    ...(g.spread ? { topologySpread: [{ maxSkew: g.spread, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' as const }] } : {}),
    ...(g.hostPort ? { hostPorts: [g.hostPort] } : {}),
    priority: g.priority,
  });
}

export interface Outcome {
  state: SchedulerState;
  nodes: Node[];
  workloads: WorkloadDefinition[];
  decisions: ScheduleDecision[][];
}

export function run(nodeGens: NodeSpecGen[], workloadGens: WorkloadGen[], options: DefaultSchedulerOptions = {}, scheduler = new DefaultScheduler(options), order?: number[]): Outcome {
  const nodes = nodeGens.map(toNode);
  const workloads = workloadGens.map(toWorkload);
  const state = new SchedulerState();
  for (const i of order ?? nodes.map((_, i) => i)) state.upsertNode(nodes[i]);
  const decisions = workloads.map((w) => {
    state.upsertWorkload(w);
    const d = scheduler.schedule(requestFor(w, w.replicas), state);
    d.forEach((x, k) => x.kind === 'AssignNode' && state.bind(makeInstance(`${w.workloadId}-${k}`, w, x.nodeId)));
    return d;
  });
  return { state, nodes, workloads, decisions };
}

export const clusterArb = fc.array(nodeArb, { minLength: 1, maxLength: 14 });
export const workloadsArb = fc.array(workloadArb, { minLength: 1, maxLength: 7 });
export const RUNS = { numRuns: 150 };

/**
 * Whole-cluster search, or a sampled one as on large clusters (a few feasible nodes are enough),
 * so the required rules are checked under both.
 */
export const searchArb = fc.constantFrom<DefaultSchedulerOptions>({}, { minFeasibleNodesToFind: 2, percentageOfNodesToScore: 20 }, { minFeasibleNodesToFind: 2, percentageOfNodesToScore: 20, search: 'scan' }, { resourceStrategy: 'binpack' });

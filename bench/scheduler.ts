/**
 * `npm run bench -- scheduler [small|large|all]`: placements through the real control plane and
 * SQLite store, with simulated nodes run by an agent in this process (the kwok way), until every
 * instance is bound and reported Running; next to the scheduler's decisions per second alone.
 *
 *   small: 1,000 nodes, 1,000 workloads × 100 = 100,000 plain instances (issue 2)
 *   large: 5,000 nodes with labels, taints and zones, 1,500 workloads × 100 = 150,000 instances
 *          with a mix of requests, selectors, anti-affinity and spread (issue 5)
 */
import { Agent } from '../src/agent/agent.js';
import { ApiClient } from '../src/api/client.js';
import { SimulatedRuntime } from '../src/runtime/index.js';
import { silentLogger } from '../src/types/logger.js';
import type { NodeRegistration } from '../src/types/node.js';
import type { WorkloadDefinition } from '../src/types/workload.js';
import { benchNode, benchWorkload, measureSchedulerAlone } from './_scheduler-alone.js';
import { peakRssMb, pool, sleep, startServer } from './_cluster.js';
import { percentile, printTable, writeResult, type BenchRow } from './report.js';

interface Scenario {
  name: string;
  nodes: number;
  workloads: number;
  replicas: number;
  mix: boolean;
}

const SCENARIOS: Record<string, Scenario> = {
  tiny: { name: 'tiny', nodes: 100, workloads: 50, replicas: 20, mix: true },
  medium: { name: 'medium', nodes: 200, workloads: 200, replicas: 100, mix: false },
  small: { name: 'small', nodes: 1000, workloads: 1000, replicas: 100, mix: false },
  large: { name: 'large', nodes: 5000, workloads: 1500, replicas: 100, mix: true },
};

function nodeRegistration(i: number, mix: boolean): NodeRegistration & { id: string } {
  const n = benchNode(i);
  const id = `sim-${String(i).padStart(5, '0')}`;
  return { id, name: id, capacity: n.capacity, allocatable: n.allocatable, labels: mix ? n.labels : {}, taints: mix ? n.taints : [], runtime: 'simulated' };
}

function workloadSpec(w: number, s: Scenario): Record<string, unknown> {
  const def: WorkloadDefinition = benchWorkload(w, s.replicas);
  const spec: Record<string, unknown> = {
    name: `wl-${String(w).padStart(5, '0')}`,
    replicas: s.replicas,
    labels: def.labels,
    containers: [{ name: 'main', image: 'sim', resourceRequests: s.mix ? def.containers[0].resourceRequests : { cpuMillicores: 100, memoryMb: 128 } }],
  };
  if (s.mix) {
    for (const k of ['nodeSelector', 'affinity', 'tolerations', 'topologySpread'] as const) if (def[k]) spec[k] = def[k];
    // Anti-affinity by the workload's label, as benchWorkload builds it against its own id label.
    spec.labels = { ...def.labels };
  }
  return spec;
}

async function runScenario(s: Scenario): Promise<BenchRow> {
  const server = await startServer((process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean));
  const client = server.client;
  const nodes = Array.from({ length: s.nodes }, (_, i) => nodeRegistration(i, s.mix));
  await pool(nodes, 32, async (n) => void (await client.registerNode(n)));

  const agentClient = new ApiClient({ server: server.url, token: server.token, timeoutMs: 120_000 });
  const runtime = new SimulatedRuntime({});
  const agent = new Agent({ client: agentClient, runtime, nodes, log: silentLogger, concurrency: 64, heartbeatMs: 5000, resyncMs: 600_000 });
  await agent.start();

  const total = s.workloads * s.replicas;
  const submitted = new Map<string, number>();
  const t0 = Date.now();
  await pool(
    Array.from({ length: s.workloads }, (_, w) => w),
    16,
    async (w) => {
      const spec = workloadSpec(w, s);
      submitted.set(spec.name as string, Date.now());
      await client.createWorkload(spec);
    },
  );
  const submittedAt = Date.now();

  let running = 0;
  let pending = 0;
  for (;;) {
    const info = (await client.clusterInfo()) as { instances: { byStatus: Record<string, number> } };
    running = info.instances.byStatus.Running ?? 0;
    pending = info.instances.byStatus.Pending ?? 0;
    if (running >= total) break;
    if (Date.now() - t0 > 15 * 60_000) break;
    await sleep(250);
  }
  const allRunningAt = Date.now();
  const rss = peakRssMb(server.pid);
  // With BENCH_NODE_ARGS=--heapsnapshot-signal=SIGUSR2: a heap snapshot of the control plane at
  // its fullest, written to the current directory (BENCH_HEAP_SNAPSHOT: ms to give it).
  if (process.env.BENCH_HEAP_SNAPSHOT) {
    process.kill(server.pid, 'SIGUSR2');
    await sleep(Number(process.env.BENCH_HEAP_SNAPSHOT));
  }

  const { items } = await client.listInstances();
  const boundLatency: number[] = [];
  let lastBound = 0;
  for (const i of items) {
    if (!i.scheduledAt) continue;
    const at = Date.parse(i.scheduledAt);
    lastBound = Math.max(lastBound, at);
    boundLatency.push(at - submitted.get(i.workloadName)!);
  }
  boundLatency.sort((a, b) => a - b);
  await agent.stop();
  agentClient.close();
  await server.stop();

  return {
    scenario: s.name,
    nodes: s.nodes,
    instances: total,
    bound: boundLatency.length,
    running,
    unplacedPending: pending,
    submitSeconds: (submittedAt - t0) / 1000,
    allBoundSeconds: (lastBound - t0) / 1000,
    placementsPerSecond: Math.round(boundLatency.length / ((lastBound - t0) / 1000)),
    endToEndSeconds: (allRunningAt - t0) / 1000,
    endToEndPerSecond: Math.round(running / ((allRunningAt - t0) / 1000)),
    p50SubmitToBoundMs: percentile(boundLatency, 50),
    p99SubmitToBoundMs: percentile(boundLatency, 99),
    controlPlanePeakRssMb: rss,
  };
}

export async function run(args: string[]): Promise<void> {
  const which = args[0] ?? 'all';
  const scenarios = which === 'all' ? [SCENARIOS.small, SCENARIOS.large] : [SCENARIOS[which]].filter(Boolean);
  if (scenarios.length === 0) throw new Error(`unknown scenario "${which}": small, large or all`);
  // The scheduler alone runs first, so that its peak RSS is its own and not the simulated nodes' of
  // the end-to-end runs (this process plays their agent).
  const alone = measureSchedulerAlone({ nodes: 5000, workloads: 1500, replicasPerWorkload: 100 });
  const aloneRows: BenchRow[] = [{ ...alone } as unknown as BenchRow];
  const endToEnd: BenchRow[] = [];
  for (const s of scenarios) {
    process.stdout.write(`running ${s.name}: ${s.nodes} nodes, ${s.workloads * s.replicas} instances…\n`);
    endToEnd.push(await runScenario(s));
  }
  printTable('End to end: real control plane (SQLite, fsync per commit) + simulated nodes', endToEnd);

  printTable('Scheduler alone: 5,000 nodes, 150,000 decisions with the mix', aloneRows);
  writeResult('scheduler', { endToEnd, schedulerAlone: alone });
}

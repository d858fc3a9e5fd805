import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client.js';
import { ADMIN, testApi, type TestApi } from '../api/api.test-harness.js';
import { newInstance } from '../core/instance-factory.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import type { WorkloadInstance } from '../types/instance.js';
import { silentLogger } from '../types/logger.js';
import type { WorkloadDefinition } from '../types/workload.js';
import { Agent } from './agent.js';

const node = { id: 'n1', name: 'n1', capacity: { cpuCores: 4, memoryMb: 4096, diskMb: 10_000 }, labels: {}, taints: [] };
let api: TestApi;
let client: ApiClient;
const agents: Agent[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  client?.close();
  await api?.app.close();
});

async function setup(runtime = new SimulatedRuntime()): Promise<{ runtime: SimulatedRuntime; w: WorkloadDefinition }> {
  api = testApi();
  const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  client = new ApiClient({ server: url, token: ADMIN });
  const w = await api.ctx.workloads.create({ name: 'web', containers: [{ name: 'main', image: 'busybox' }, { name: 'side', image: 'busybox' }] });
  return { runtime, w };
}

async function startAgent(runtime: SimulatedRuntime): Promise<Agent> {
  const agent = new Agent({ client, runtime, nodes: [node], log: silentLogger, heartbeatMs: 60_000, resyncMs: 60_000 });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** Resolves when `check` holds for the stored instance (looked at after every store commit). */
function waitForInstance(id: string, check: (i: WorkloadInstance | undefined) => boolean): Promise<WorkloadInstance | undefined> {
  return new Promise((resolve) => {
    const look = async () => {
      const i = await api.store.instances.get(id);
      if (check(i)) {
        watcher.close();
        resolve(i);
      }
    };
    const watcher = api.store.kv.watch('/registry/instances/', undefined, { onEvents: () => void look() });
    void look();
  });
}

async function bind(w: WorkloadDefinition): Promise<WorkloadInstance> {
  const i = newInstance(w, 'n1', new Date().toISOString());
  await api.store.commit([api.store.instances.create(i)]);
  return i;
}

describe('Agent', () => {
  it('registers its node, runs an instance bound to it and reports it Running and ready', async () => {
    const { runtime, w } = await setup();
    await startAgent(runtime);
    expect((await api.store.requireNode('n1')).status).toBe('Ready');
    const i = await bind(w);
    const running = await waitForInstance(i.instanceId, (x) => x?.status === 'Running' && x.ready);
    expect(running?.containers.map((c) => `${c.name}:${c.state}`).sort()).toEqual(['main:Running', 'side:Running']);
    expect((await runtime.listContainers('n1')).map((c) => c.containerId).sort()).toEqual([`${i.instanceId}.main`, `${i.instanceId}.side`]);
  });

  it('stops an instance asked to stop and removes its record', async () => {
    const { runtime, w } = await setup();
    await startAgent(runtime);
    const i = await bind(w);
    await waitForInstance(i.instanceId, (x) => x?.status === 'Running');
    await api.store.update(api.store.instances, i.instanceId, (x) => ({ ...x, deletionRequestedAt: new Date().toISOString(), status: 'Terminating' as const }));
    await waitForInstance(i.instanceId, (x) => x === undefined);
    expect(await runtime.listContainers('n1')).toEqual([]);
  });

  it('after a restart adopts the containers it finds instead of starting them again, and removes those no longer wanted', async () => {
    const { runtime, w } = await setup();
    const first = await startAgent(runtime);
    const kept = await bind(w);
    const dropped = await bind(w);
    await waitForInstance(kept.instanceId, (x) => x?.status === 'Running');
    await waitForInstance(dropped.instanceId, (x) => x?.status === 'Running');
    const before = await runtime.getContainerStatus('n1', `${kept.instanceId}.main`);
    await first.stop();
    agents.splice(agents.indexOf(first), 1);
    // While the agent is away, one instance's record goes (its workload was scaled down and the node lost).
    await api.store.commit([api.store.instances.delete(dropped.instanceId)]);
    const second = await startAgent(runtime);
    await second.idle();
    const after = await runtime.getContainerStatus('n1', `${kept.instanceId}.main`);
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.restartCount).toBe(0);
    expect((await runtime.listContainers('n1')).map((c) => c.containerId).sort()).toEqual([`${kept.instanceId}.main`, `${kept.instanceId}.side`]);
  });
});

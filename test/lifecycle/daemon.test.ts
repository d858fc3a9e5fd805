import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { ApiClient } from '../../src/api/client.js';
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js';
import { silentLogger } from '../../src/types/logger.js';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, sh } from './lifecycle-support.js';

/**
 * A second node joins as an in-process agent (the real Agent and ProcessRuntime, talking to the
 * spawned API server over HTTP), then leaves: its agent stops and the node is deleted.
 */
describe('a daemon follows nodes joining and leaving (process runtime)', () => {
  const dataDir = tempDir();
  const agentDir = tempDir('orch-agent-');
  const nodeId = `lc-joiner-${process.pid}`;
  let api: ApiProcess;
  let runtime: ProcessRuntime | undefined;
  let agent: Agent | undefined;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'process' });
  });
  afterAll(async () => {
    await agent?.stop();
    if (runtime) {
      // The agent left its container running (containers outlive agents): clean up after it.
      for (const c of await runtime.listContainers(nodeId).catch(() => [])) await runtime.removeContainer(nodeId, c.containerId);
      await runtime.close();
    }
    await api?.cli(['workload', 'delete', 'everywhere', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
    removeDir(agentDir);
  });

  const daemonInstances = async () => (await api.client.listInstances({ workload: 'everywhere' })).items.filter((i) => !i.deletionRequestedAt);
  const onNodes = (n: number) =>
    eventually(async () => {
      const items = await daemonInstances();
      return items.length === n && items.every((i) => i.status === 'Running') ? items : undefined;
    }, `${n} running daemon instance(s)`);

  it('runs one instance on every node, one more when a node joins, one fewer when it leaves', async () => {
    await apply(api, { name: 'everywhere', kind: 'daemon', containers: [{ name: 'main', image: 'busybox', command: sh('exec sleep 100000') }] });
    const [local] = await onNodes(1);
    const localNode = local.nodeId;

    runtime = new ProcessRuntime({ dataDir: agentDir });
    agent = new Agent({
      client: new ApiClient({ server: api.url, token: api.token }),
      runtime,
      nodes: [{ id: nodeId, name: nodeId, capacity: { cpuCores: 2, memoryMb: 2048, diskMb: 10_000 }, labels: {}, taints: [], runtime: 'process' }],
      log: silentLogger,
      heartbeatMs: 1000,
    });
    await agent.start();
    const two = await onNodes(2);
    expect(two.map((i) => i.nodeId).sort()).toEqual([localNode, nodeId].sort());
    const joined = two.find((i) => i.nodeId === nodeId)!;
    // Really running on the joined node's runtime.
    expect((await runtime.getContainerStatus(nodeId, joined.containers[0].containerId)).state).toBe('Running');

    await agent.stop();
    agent = undefined;
    await api.client.request('DELETE', `/api/v1/nodes/${nodeId}`);
    const [left] = await onNodes(1);
    expect(left.instanceId).toBe(local.instanceId);
    expect((await api.client.listNodes()).items.map((n) => n.id)).toEqual([localNode]);
  });
});

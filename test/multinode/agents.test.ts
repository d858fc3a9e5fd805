import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { eventually, gossipAddressOf, processesWithArgs, removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';

/**
 * The control plane and three agents as separate processes on loopback, gossiping: a killed agent's
 * node goes Down and its instances run elsewhere; when it comes back it stops what is no longer its
 * own; a drain moves instances one by one; agent tokens reach only their own node.
 */
describe('a cluster of a control plane and three agents', () => {
  const dataDir = tempDir();
  const marker = `${6000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
  const argv = ['/bin/sleep', marker];
  let api: ApiProcess;
  let join: string;
  const agents = new Map<string, AgentProcess>();

  async function addAgent(name: string): Promise<void> {
    agents.set(name, await startAgent({ server: api.url, token: api.token, name, join, capacity: 'cpu=4,memory=4096', dataDir: `${dataDir}/${name}` }));
  }

  beforeAll(async () => {
    api = await startApi({ dataDir: `${dataDir}/cp`, runtime: 'none', args: ['--gossip-listen', '127.0.0.1:0', '--log-level', 'info'] });
    join = gossipAddressOf(api);
    for (const n of ['node-a', 'node-b', 'node-c']) await addAgent(n);
    await eventually(async () => (await api.client.listNodes()).items.filter((n) => n.status === 'Ready').length === 3, 'three Ready nodes');
  });

  afterAll(async () => {
    for (const a of agents.values()) await a.kill('SIGKILL');
    await api?.kill('SIGKILL');
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    removeDir(dataDir);
  });

  async function running() {
    const { items } = await api.client.listInstances({ workload: 'spread' });
    return items.filter((i) => i.status === 'Running' && !i.deletionRequestedAt);
  }

  it('replaces the instances of a killed agent elsewhere, and the agent stops its stale copies when it returns', async () => {
    await api.client.createWorkload({ name: 'spread', replicas: 6, containers: [{ name: 'main', image: 'busybox', command: argv, resourceRequests: { cpuMillicores: 500, memoryMb: 256 } }] });
    const placed = await eventually(async () => {
      const r = await running();
      return r.length === 6 && processesWithArgs(argv).length === 6 ? r : undefined;
    }, 'six running instances');
    const victimNode = placed[0].nodeId;
    const lost = placed.filter((i) => i.nodeId === victimNode).length;
    expect(lost).toBeGreaterThan(0);

    const killedAt = Date.now();
    await agents.get(victimNode)!.kill('SIGKILL');
    let notReadyAt: number | undefined;
    let downAt: number | undefined;
    await eventually(async () => {
      const node = await api.client.getNode(victimNode);
      if (node.status === 'NotReady' && !notReadyAt) notReadyAt = Date.now();
      if (node.status === 'Down' && !downAt) downAt = Date.now();
      return downAt;
    }, `node ${victimNode} Down`, 60_000, 50);
    const recovered = await eventually(async () => {
      const r = await running();
      return r.length === 6 && r.every((i) => i.nodeId !== victimNode) ? r : undefined;
    }, 'six instances running on the other nodes', 60_000, 50);
    const recoveredAt = Date.now();
    process.stdout.write(
      `\n  agent kill -9 → first suspicion ${notReadyAt ? ((notReadyAt - killedAt) / 1000).toFixed(1) + 's' : 'not seen'}, ` +
        `Down ${((downAt! - killedAt) / 1000).toFixed(1)}s, all ${recovered.length} Running elsewhere ${((recoveredAt - killedAt) / 1000).toFixed(1)}s (${lost} moved)\n`,
    );
    // The killed agent's containers outlived it (6 desired + the stale ones)…
    expect(processesWithArgs(argv).length).toBe(6 + lost);

    // …until it comes back: it finds them no longer bound to it and stops them.
    await addAgent(victimNode);
    await eventually(async () => (await api.client.getNode(victimNode)).status === 'Ready', `${victimNode} Ready again`);
    await eventually(() => processesWithArgs(argv).length === 6, 'exactly six processes on the host');
    expect((await running()).length).toBe(6);
  });

  it('drains a node one instance at a time, never running fewer than asked', async () => {
    const target = (await running())[0].nodeId;
    let minimum = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        minimum = Math.min(minimum, (await running()).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const drained = await api.cli(['node', 'drain', target, '--timeout', '120']);
    sampling = false;
    await sampler;
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`node/${target} cordoned`);
    expect(drained.stdout).toContain(`node/${target} drained`);
    expect((await running()).filter((i) => i.nodeId === target)).toEqual([]);
    expect(minimum).toBeGreaterThanOrEqual(6);
    expect((await api.client.getNode(target)).unschedulable).toBe(true);
    const uncordoned = await api.cli(['node', 'uncordon', target]);
    expect(uncordoned.code).toBe(0);
  });

  it('limits an agent token to its own node', async () => {
    const { token } = await api.client.request<{ token: string }>('POST', '/api/v1/nodes/node-c/token');
    const asAgent = new ApiClient({ server: api.url, token });
    try {
      expect(await asAgent.heartbeat(['node-c'])).toEqual({ unknown: [] });
      await expect(asAgent.listWorkloads()).rejects.toSatisfy((e) => isOrchestrationError(e, 'Forbidden'));
      await expect(asAgent.heartbeat(['node-a'])).rejects.toSatisfy((e) => isOrchestrationError(e, 'Forbidden'));
      await expect(asAgent.listInstances({ node: 'node-a' })).rejects.toSatisfy((e) => isOrchestrationError(e, 'Forbidden'));
      const elsewhere = (await running()).find((i) => i.nodeId !== 'node-c');
      if (elsewhere) {
        await expect(asAgent.reportStatus([{ instanceId: elsewhere.instanceId, status: 'Failed', ready: false, containers: [] }])).rejects.toSatisfy((e) => isOrchestrationError(e, 'Forbidden'));
        expect((await api.client.getInstance(elsewhere.instanceId)).status).toBe('Running');
      }
    } finally {
      asAgent.close();
    }
  });

  it('serves logs and exec of a remote node through the control plane', async () => {
    const inst = (await running())[0];
    const res = await api.cli(['instance', 'exec', inst.name, '--', '/bin/sh', '-c', 'echo from $HOSTNAME; exit 4']);
    expect(res.code).toBe(4);
    expect(res.stdout).toContain('from');
    const logs = await api.cli(['instance', 'logs', inst.name, '--tail', '5']);
    expect(logs.code, logs.stderr).toBe(0);
  });
});

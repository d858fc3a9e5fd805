import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';

/**
 * On a single-machine cluster with four simulated extra nodes: an unschedulable workload explains
 * itself through the CLI, and a high-priority workload preempts a lower-priority one to run.
 */
describe('scheduling explanations and preemption, end to end', () => {
  const dataDir = tempDir();
  let api: ApiProcess;
  let pool: AgentProcess;
  const sim = ['sim-0000', 'sim-0001', 'sim-0002', 'sim-0003'];

  beforeAll(async () => {
    api = await startApi({ dataDir: `${dataDir}/cp`, runtime: 'process' });
    pool = await startAgent({ server: api.url, token: api.token, name: 'sim', runtime: 'simulated', capacity: 'cpu=2,memory=2048', args: ['--simulate-nodes', '4', '--labels', 'pool=sim'], dataDir: `${dataDir}/sim` });
    await eventually(async () => (await api.client.listNodes()).items.filter((n) => n.status === 'Ready').length === 5, 'five Ready nodes');
  });

  afterAll(async () => {
    for (const w of (await api.client.listWorkloads()).items) await api.client.deleteWorkload(w.name);
    await eventually(async () => (await api.client.listInstances()).items.length === 0, 'instances gone');
    await pool?.kill();
    await api?.kill();
    removeDir(dataDir);
  });

  it('says per node why a workload fits nowhere, in describe and explain', async () => {
    await api.client.request('PATCH', `/api/v1/nodes/${sim[0]}`, { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
    expect((await api.cli(['node', 'cordon', sim[1]])).code).toBe(0);
    await api.client.createWorkload({ name: 'huge', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'], resourceRequests: { memoryMb: 9_000_000 } }] });

    const described = await eventually(async () => {
      const res = await api.cli(['workload', 'describe', 'huge']);
      return /0\/5 nodes available/.test(res.stdout) ? res.stdout : undefined;
    }, 'a Pending explanation');
    expect(described).toMatch(/3 insufficient memory/);
    expect(described).toMatch(/1 node\(s\) had untolerated taint gpu=true:NoSchedule/);
    expect(described).toMatch(/1 cordoned/);

    const instance = (await api.client.listInstances({ workload: 'huge' })).items[0];
    const inst = await api.cli(['instance', 'describe', instance.name]);
    expect(inst.stdout).toContain('0/5 nodes available');

    const explained = await api.cli(['workload', 'explain', 'huge']);
    expect(explained.code, explained.stderr).toBe(0);
    const line = (node: string) => explained.stdout.split('\n').find((l) => l.startsWith(node)) ?? '';
    expect(line(sim[0])).toMatch(/no .*gpu=true:NoSchedule/);
    expect(line(sim[1])).toMatch(/no .*cordon/i);
    expect(line(sim[2])).toMatch(/no .*memory/);
    const json = JSON.parse((await api.cli(['workload', 'explain', 'huge', '-o', 'json'])).stdout);
    expect(json.nodes).toHaveLength(5);

    await api.client.deleteWorkload('huge');
    await api.client.request('PATCH', `/api/v1/nodes/${sim[0]}`, { taints: [] });
    expect((await api.cli(['node', 'uncordon', sim[1]])).code).toBe(0);
  });

  it('evicts a lower-priority instance to run a higher-priority one, and says so', async () => {
    const container = { name: 'main', image: 'sim', resourceRequests: { memoryMb: 1500 } };
    await api.client.createWorkload({ name: 'filler', replicas: 4, priority: 0, nodeSelector: { pool: 'sim' }, containers: [container] });
    await eventually(async () => (await api.client.listInstances({ workload: 'filler' })).items.filter((i) => i.status === 'Running').length === 4, 'filler on every simulated node');

    await api.client.createWorkload({ name: 'vip', replicas: 1, priority: 1000, nodeSelector: { pool: 'sim' }, containers: [container] });
    const vip = await eventually(async () => (await api.client.listInstances({ workload: 'vip' })).items.find((i) => i.status === 'Running'), 'vip running', 60_000);
    expect(sim).toContain(vip.nodeId);

    const filler = (await api.client.listInstances({ workload: 'filler' })).items;
    expect(filler.filter((i) => i.status === 'Running' && i.nodeId === vip.nodeId)).toEqual([]);
    await eventually(async () => {
      const pending = (await api.client.listInstances({ workload: 'filler' })).items.filter((i) => i.status === 'Pending');
      return pending.length === 1 && /insufficient memory/.test(pending[0].message ?? '');
    }, 'the preempted copy waiting, with its reason');
    const events = await api.cli(['events', '--limit', '200']);
    expect(events.stdout).toMatch(/Preempted .*to make room for vip/);
  });
});

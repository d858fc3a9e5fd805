import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../src/types/node.js';
import { eventually, processesWithArgs, removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';
import { createTestNetwork, type TestNetwork } from '../support/netns.js';
import { systemSkip } from '../support/system.js';

const skip = systemSkip('network-namespace cluster tests', ['root', { bin: 'ip' }, { bin: 'iptables' }]);

/**
 * The control plane and three agents each in a network namespace, joined by veth pairs to one
 * bridge: a cut link behaves like a dead machine, a healed one leaves exactly the desired copies,
 * and 10 % packet loss on every link marks nothing Down while a real death is still noticed.
 */
describe.skipIf(skip)('a cluster across network namespaces', () => {
  const hosts = ['cp', 'a1', 'a2', 'a3'];
  const dataDir = tempDir();
  const marker = `${7000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
  const argv = ['/bin/sleep', marker];
  let net: TestNetwork;
  let api: ApiProcess;
  const agents = new Map<string, AgentProcess>();

  async function addAgent(h: string): Promise<void> {
    const a = net.address(h);
    agents.set(h, await startAgent({
      server: api.url, token: api.token, name: h, netns: net.namespace(h), join: `${net.address('cp')}:7946`, capacity: 'cpu=4,memory=4096', dataDir: `${dataDir}/${h}`,
      args: ['--listen', `${a}:0`, '--gossip-listen', `${a}:7946`],
    }));
  }

  beforeAll(async () => {
    net = createTestNetwork(hosts);
    api = await startApi({ dataDir: `${dataDir}/cp`, runtime: 'none', netns: net.namespace('cp'), host: net.address('cp'), port: 8080, args: ['--gossip-listen', `${net.address('cp')}:7946`] });
    for (const h of ['a1', 'a2', 'a3']) await addAgent(h);
    await eventually(async () => (await api.client.listNodes()).items.filter((n) => n.status === 'Ready').length === 3, 'three Ready nodes');
    await api.client.createWorkload({ name: 'spread', replicas: 6, containers: [{ name: 'main', image: 'busybox', command: argv, resourceRequests: { cpuMillicores: 500, memoryMb: 256 } }] });
  }, 120_000);

  afterAll(async () => {
    net?.setLoss(0);
    for (const a of agents.values()) await a.kill('SIGKILL');
    await api?.kill('SIGKILL');
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    net?.destroy();
    removeDir(dataDir);
  });

  async function running() {
    return (await api.client.listInstances({ workload: 'spread' })).items.filter((i) => i.status === 'Running' && !i.deletionRequestedAt);
  }

  it('treats a cut link as a dead node, and a healed one ends with exactly the desired copies', async () => {
    await eventually(async () => (await running()).length === 6 && processesWithArgs(argv).length === 6, 'six running copies');
    const victim = (await running())[0].nodeId;
    const cutAt = Date.now();
    net.setLink(victim, false);
    await eventually(async () => (await api.client.getNode(victim)).status === 'Down', `${victim} Down`, 60_000, 100);
    const downAt = Date.now();
    await eventually(async () => {
      const r = await running();
      return r.length === 6 && r.every((i) => i.nodeId !== victim);
    }, 'six copies on the other nodes', 60_000, 100);
    process.stdout.write(`\n  link cut → Down ${((downAt - cutAt) / 1000).toFixed(1)}s, all Running elsewhere ${((Date.now() - cutAt) / 1000).toFixed(1)}s\n`);

    net.setLink(victim, true);
    await eventually(async () => (await api.client.getNode(victim)).status === 'Ready', `${victim} Ready again`, 60_000);
    // Within one reconcile period (the agent's resync) the stale copies on the healed node are gone.
    await eventually(() => processesWithArgs(argv).length === 6, 'exactly six copies on all hosts', 30_000);
    expect((await running()).length).toBe(6);
    await new Promise((r) => setTimeout(r, 3000));
    expect(processesWithArgs(argv).length).toBe(6);
  });

  it('marks no node Down through a quiet minute of 10 % packet loss, and still notices a real death', async () => {
    net.setLoss(0.1);
    const quietMs = Number(process.env.ORCH_QUIET_SECONDS ?? 60) * 1000;
    const seen = new Map<string, Set<string>>();
    const until = Date.now() + quietMs;
    while (Date.now() < until) {
      const { items } = await api.client.listNodes().catch(() => ({ items: [] as Node[] }));
      for (const n of items) (seen.get(n.name) ?? seen.set(n.name, new Set()).get(n.name)!).add(n.status);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const [name, statuses] of seen) expect([name, [...statuses].includes('Down')]).toEqual([name, false]);
    expect((await running()).length).toBe(6);

    const victim = 'a3';
    const killedAt = Date.now();
    await agents.get(victim)!.kill('SIGKILL');
    await eventually(async () => (await api.client.getNode(victim)).status === 'Down', `${victim} Down under packet loss`, 60_000, 100);
    process.stdout.write(`\n  under 10% loss: kill -9 → Down ${((Date.now() - killedAt) / 1000).toFixed(1)}s; statuses seen in the quiet minute: ${JSON.stringify(Object.fromEntries([...seen].map(([k, v]) => [k, [...v]])))}\n`);
  }, 180_000);
});

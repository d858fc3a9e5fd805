import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { eventually, removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';
import { EtcdCluster, etcdSkip } from '../support/etcd.js';

const skip = etcdSkip('high availability on etcd');

/**
 * Two control-plane replicas on a three-member etcd, with simulated nodes: the leader dies in the
 * middle of a scale-up and the other takes over; etcd losing one member changes nothing, losing two
 * turns the API to 503s until they return; concurrent scales leave the last acknowledged write.
 */
describe.skipIf(skip)('high availability on etcd', () => {
  const dir = tempDir();
  const token = randomBytes(24).toString('hex');
  let etcd: EtcdCluster;
  const replicas: ApiProcess[] = [];
  let pool: AgentProcess | undefined;

  const startReplica = (k: number) =>
    startApi({ dataDir: `${dir}/cp${k}`, runtime: 'none', args: ['--store', etcd.url(`/orch-${k === 9 ? 'x' : 'ha'}`), '--token', token, '--lease-ttl', '4'] });

  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    replicas.push(await startReplica(0), await startReplica(1));
  }, 120_000);

  afterAll(async () => {
    await pool?.kill('SIGKILL');
    for (const r of replicas) await r.kill('SIGKILL');
    await etcd?.stop();
    removeDir(dir);
  });

  async function leaderOf(r: ApiProcess): Promise<string | undefined> {
    const info = (await r.client.clusterInfo()) as { leader: { address?: string } | null };
    return info.leader?.address;
  }

  it('has exactly 500 instances, none twice, after the leader is killed in the middle of a scale-up', async () => {
    const leaderUrl = await eventually(() => leaderOf(replicas[0]), 'a leader');
    const leader = replicas.find((r) => r.url === leaderUrl)!;
    const follower = replicas.find((r) => r.url !== leaderUrl)!;
    expect(leader).toBeDefined();
    expect(await leaderOf(follower)).toBe(leaderUrl);

    pool = await startAgent({ server: follower.url, token, name: 'sim', runtime: 'simulated', capacity: 'cpu=64,memory=65536', args: ['--simulate-nodes', '10', '--concurrency', '32'], dataDir: `${dir}/sim` });
    await eventually(async () => (await follower.client.listNodes()).items.filter((n) => n.status === 'Ready').length === 10, 'ten Ready nodes');
    await follower.client.createWorkload({ name: 'many', replicas: 0, containers: [{ name: 'main', image: 'sim', resourceRequests: { cpuMillicores: 10, memoryMb: 16 } }] });
    await follower.client.scaleWorkload('many', 500);
    await eventually(async () => (await follower.client.listInstances({ workload: 'many' })).items.length >= 50, 'the scale-up under way', 60_000, 20);

    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    replicas.splice(replicas.indexOf(leader), 1);
    await eventually(async () => (await leaderOf(follower)) === follower.url, 'the other replica leading', 30_000, 50);
    const tookOverMs = Date.now() - killedAt;
    process.stdout.write(`\n  leader kill -9 → new leader in ${(tookOverMs / 1000).toFixed(1)}s\n`);

    const final = await eventually(async () => {
      const { items } = await follower.client.listInstances({ workload: 'many' });
      return items.length === 500 && items.every((i) => i.status === 'Running') ? items : undefined;
    }, '500 running instances', 120_000, 250);
    expect(new Set(final.map((i) => i.instanceId)).size).toBe(500);
    // Stays at 500 (nothing created twice by the two leaders).
    await new Promise((r) => setTimeout(r, 2000));
    expect((await follower.client.listInstances({ workload: 'many' })).items.length).toBe(500);
    expect(tookOverMs).toBeLessThan(30_000);
  }, 240_000);

  it('keeps serving with one etcd member down, answers 503 without quorum, and recovers', async () => {
    const api = replicas[0];
    await etcd.kill(2);
    const w = await api.client.createWorkload({ name: 'during-one-down', replicas: 0, containers: [{ name: 'main', image: 'sim' }] });
    expect(w.name).toBe('during-one-down');

    await etcd.kill(1);
    const err = await eventually(async () => {
      try {
        await api.client.request('GET', '/api/v1/workloads');
        return undefined;
      } catch (e) {
        return isOrchestrationError(e, 'Unavailable') ? e : undefined;
      }
    }, 'a 503 without quorum', 60_000, 250);
    expect(err.message).toMatch(/etcd|store|unavailable/i);
    const health = await api.cli(['cluster', 'health']);
    expect(health.code).toBe(1);

    await etcd.restart(1);
    await etcd.restart(2);
    await etcd.waitHealthy(60_000);
    const back = await eventually(async () => (await api.client.listWorkloads()).items.map((x) => x.name), 'the API answering again', 60_000, 250);
    expect(back).toContain('during-one-down');
    expect(back).toContain('many');
    expect((await api.cli(['cluster', 'health'])).code).toBe(0);
  }, 240_000);

  it('leaves the replica count of the last acknowledged write when clients race, and every loser saw 409', async () => {
    const api = replicas[0];
    await api.client.createWorkload({ name: 'raced', replicas: 1, containers: [{ name: 'main', image: 'sim' }] });
    const clients = Array.from({ length: 8 }, () => new ApiClient({ server: api.url, token }));
    const outcomes: Array<{ replicas: number; ok: boolean; version?: number; conflict?: boolean }> = [];
    await Promise.all(
      clients.map(async (c, k) => {
        for (let round = 0; round < 5; round++) {
          const current = await c.getWorkload('raced');
          const want = 10 + k * 10 + round;
          try {
            const res = await c.scaleWorkload('raced', want, current.resourceVersion);
            outcomes.push({ replicas: want, ok: true, version: Number(res.resourceVersion) });
          } catch (e) {
            outcomes.push({ replicas: want, ok: false, conflict: isOrchestrationError(e, 'Conflict') });
          }
        }
      }),
    );
    for (const c of clients) c.close();
    const acked = outcomes.filter((o) => o.ok).sort((a, b) => a.version! - b.version!);
    expect(acked.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => !o.ok).every((o) => o.conflict)).toBe(true);
    const last = acked[acked.length - 1];
    expect((await api.client.getWorkload('raced')).replicas).toBe(last.replicas);
  });
});

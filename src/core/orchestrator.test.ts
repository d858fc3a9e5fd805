import { afterEach, describe, expect, it } from 'vitest';
import { StoreClusterManager } from '../cluster/store-cluster-manager.js';
import { KEYS } from '../store/cluster-store.js';
import { silentLogger } from '../types/logger.js';
import { MemoryStateStore } from '../store/memory-store.js';
import type { CommitResult, WriteOp } from '../store/state-store.js';
import type { WorkloadInstance } from '../types/instance.js';
import { CoreHarness, spec } from './orchestrator.test-harness.js';

let h: CoreHarness;
afterEach(async () => {
  await h?.stop();
});

describe('membership', () => {
  it('a node whose agent stops heartbeating is marked NotReady, then Down, and its instances move to a live node', async () => {
    h = new CoreHarness();
    await h.addNode('quiet');
    await h.start(new StoreClusterManager(h.store, silentLogger, { notReadyAfterMs: 15_000, downAfterMs: 40_000, checkEveryMs: 1_000 }, h.clock));
    const w = await h.workloads.create(spec('web', { replicas: 2 }));
    await h.settle();
    const before = await h.instances(w.workloadId);
    expect(before.every((i) => i.nodeId === 'quiet')).toBe(true);
    await h.addNode('live');
    await h.settle();
    // 'live' beats every 5 s; 'quiet' never again.
    for (let t = 0; t < 15; t += 5) {
      await h.advance(5_000);
      await h.setNode('live', { lastHeartbeat: new Date(h.clock.now()).toISOString() });
    }
    await h.settle();
    expect((await h.store.requireNode('quiet')).status).toBe('NotReady');
    expect((await h.instances(w.workloadId)).map((i) => i.instanceId)).toEqual(before.map((i) => i.instanceId));
    for (let t = 15; t < 45; t += 5) {
      await h.advance(5_000);
      await h.setNode('live', { lastHeartbeat: new Date(h.clock.now()).toISOString() });
    }
    await h.settle();
    expect(await h.store.requireNode('quiet')).toMatchObject({ status: 'Down', statusReason: 'no heartbeat for 40s' });
    expect((await h.store.requireNode('live')).status).toBe('Ready');
    const after = await h.instances(w.workloadId);
    expect(after).toHaveLength(2);
    expect(after.every((i) => i.nodeId === 'live')).toBe(true);
    await h.recorder.flush();
    expect(h.reasons()).toEqual(expect.arrayContaining(['NodeNotReady', 'NodeDown', 'NodeLost']));
  });
});

describe('jobs', () => {
  it('never runs more than parallelism at once and stops at exactly completions successes', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('batch', { kind: 'job', job: { completions: 5, parallelism: 2 } }));
    let maxLive = 0;
    for (let round = 0; round < 10; round++) {
      await h.settle();
      const live = await h.live(w.workloadId);
      maxLive = Math.max(maxLive, live.length);
      if (live.length === 0) break;
      // Each round, one of the running copies finishes.
      await h.report(live[0].instanceId, { status: 'Succeeded', ready: false });
    }
    const all = await h.instances(w.workloadId);
    expect(all.filter((i) => i.status === 'Succeeded')).toHaveLength(5);
    expect(all).toHaveLength(5);
    expect(maxLive).toBe(2);
    const stored = await h.store.requireWorkload('batch');
    expect(stored.status.succeeded).toBe(5);
    expect(stored.status.conditions.find((c) => c.type === 'Complete')?.status).toBe('True');
  });

  it('keeps failed instances of a job (for their logs) and makes new ones up to backoffLimit', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('batch', { kind: 'job', restartPolicy: 'Never', job: { completions: 1, parallelism: 1, backoffLimit: 1 } }));
    for (let k = 0; k < 3; k++) {
      await h.settle();
      const [running] = await h.live(w.workloadId);
      if (!running) break;
      await h.report(running.instanceId, { status: 'Failed', ready: false });
    }
    await h.settle();
    const all = await h.instances(w.workloadId);
    expect(all.map((i) => i.status)).toEqual(['Failed', 'Failed']);
    expect(all.every((i) => !i.deletionRequestedAt)).toBe(true);
    const stored = await h.store.requireWorkload('batch');
    expect(stored.status.conditions.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
  });
});

describe('daemons', () => {
  it('get one instance per eligible node, one more when a node joins, and lose it when the node stops matching', async () => {
    h = new CoreHarness();
    await h.addNode('a', { labels: { pool: 'edge' } });
    await h.addNode('b', { labels: { pool: 'edge' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await h.addNode('c', { labels: { pool: 'core' } });
    await h.start();
    const w = await h.workloads.create(spec('agent', { kind: 'daemon', nodeSelector: { pool: 'edge' } }));
    await h.settle();
    expect((await h.live(w.workloadId)).map((i) => i.nodeId)).toEqual(['a']);

    await h.addNode('d', { labels: { pool: 'edge' } });
    await h.settle();
    expect((await h.live(w.workloadId)).map((i) => i.nodeId).sort()).toEqual(['a', 'd']);

    await h.setNode('d', { labels: { pool: 'core' } });
    await h.settle();
    const onD = (await h.instances(w.workloadId)).find((i) => i.nodeId === 'd');
    expect(onD).toMatchObject({ status: 'Terminating', reason: 'NodeNoLongerEligible' });
    expect((await h.live(w.workloadId)).map((i) => i.nodeId)).toEqual(['a']);
  });
});

/** A store whose next instance write loses a race: an agent's status report lands just before it. */
class RacingStore extends MemoryStateStore {
  armed = false;
  lost = 0;
  override async commit(ops: WriteOp[]): Promise<CommitResult> {
    const target = ops.find((o) => o.op === 'put' && o.key.startsWith(KEYS.instances) && o.ifModRevision && o.value?.includes('deletionRequestedAt'));
    if (this.armed && target) {
      this.armed = false;
      const current = await this.get(target.key);
      const reported = { ...(JSON.parse(current!.value) as WorkloadInstance), message: 'reported by agent' };
      await super.commit([{ op: 'put', key: target.key, value: JSON.stringify(reported), ifModRevision: current!.modRevision }]);
    }
    const res = await super.commit(ops);
    if (!res.ok) this.lost++;
    return res;
  }
}

describe('concurrent writers', () => {
  it('retries a compare-and-swap lost to an agent, keeps the agent’s write, and creates nothing twice', async () => {
    const kv = new RacingStore();
    h = new CoreHarness(kv);
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 3 }));
    await h.settle();
    await h.runAll(w.workloadId);
    await h.settle();
    const created = (await h.instances(w.workloadId)).map((i) => i.instanceId);

    kv.armed = true;
    await h.workloads.scale('web', 2);
    await h.settle();
    expect(kv.lost).toBeGreaterThan(0);
    // The lost write asked for a retry in 50 ms.
    await h.advance(50);
    const after = await h.instances(w.workloadId);
    expect(after.map((i) => i.instanceId).sort()).toEqual([...created].sort());
    const stopping = after.filter((i) => i.deletionRequestedAt);
    expect(stopping).toHaveLength(1);
    expect(after.filter((i) => !i.deletionRequestedAt)).toHaveLength(2);
    expect(after.filter((i) => i.message === 'reported by agent')).toHaveLength(1);
  });

  it('a replica that is not the leader writes nothing; once it leads, it catches up', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    let leading = false;
    const o = await h.start(undefined, { isLeader: () => leading, guard: () => undefined });
    const w = await h.workloads.create(spec('web', { replicas: 2 }));
    await h.settle();
    expect(await h.instances(w.workloadId)).toEqual([]);
    expect((await h.store.requireWorkload('web')).status.observedGeneration).toBe(0);
    leading = true;
    o.enqueue(w.workloadId);
    await h.settle();
    expect(await h.live(w.workloadId)).toHaveLength(2);
    expect((await h.store.requireWorkload('web')).status.observedGeneration).toBe(1);
  });

  it('a workload created while the core is down is picked up at start', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    const w = await h.workloads.create(spec('web', { replicas: 2 }));
    await h.start();
    expect(await h.live(w.workloadId)).toHaveLength(2);
    expect(h.orchestrator!.stats()).toMatchObject({ workloads: 1, instances: 2, nodes: 1, queueLength: 0 });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { CoreHarness, spec } from './orchestrator.test-harness.js';

let h: CoreHarness;
afterEach(async () => {
  await h?.stop();
});

const v2 = [{ name: 'main', image: 'busybox:1.37' }];

async function startService(replicas: number, extra: Record<string, unknown> = {}) {
  h = new CoreHarness();
  await h.addNode('a');
  await h.start();
  const w = await h.workloads.create(spec('web', { replicas, ...extra }));
  await h.settle();
  await h.runAll(w.workloadId);
  await h.settle();
  return w;
}

describe('rollout strategies', () => {
  it('Recreate stops every old copy before starting any new one', async () => {
    const w = await startService(3, { strategy: { type: 'Recreate' } });
    await h.workloads.update('web', spec('web', { replicas: 3, strategy: { type: 'Recreate' }, containers: v2 }));
    await h.settle();
    let all = await h.instances(w.workloadId);
    expect(all.filter((i) => i.revision === 2)).toHaveLength(0);
    expect(all.filter((i) => i.deletionRequestedAt)).toHaveLength(3);
    await h.finalizeDeletions();
    await h.settle();
    all = await h.instances(w.workloadId);
    expect(all.map((i) => i.revision)).toEqual([2, 2, 2]);
  });

  it('a paused workload does not roll until resumed', async () => {
    const w = await startService(2, { paused: true });
    await h.workloads.update('web', spec('web', { replicas: 2, paused: true, containers: v2 }));
    await h.settle();
    expect((await h.instances(w.workloadId)).map((i) => i.revision)).toEqual([1, 1]);
    await h.workloads.update('web', spec('web', { replicas: 2, paused: false, containers: v2 }));
    await h.settle();
    expect((await h.instances(w.workloadId)).some((i) => i.revision === 2)).toBe(true);
  });

  it('a rollout whose new copies never become ready stalls at progressDeadlineSeconds and says so', async () => {
    const w = await startService(2, { progressDeadlineSeconds: 60, strategy: { maxSurge: 1, maxUnavailable: 0 } });
    await h.workloads.update('web', spec('web', { replicas: 2, progressDeadlineSeconds: 60, strategy: { maxSurge: 1, maxUnavailable: 0 }, containers: v2 }));
    await h.settle();
    const fresh = (await h.instances(w.workloadId)).filter((i) => i.revision === 2);
    expect(fresh).toHaveLength(1);
    await h.report(fresh[0].instanceId, { status: 'Running', ready: false });
    await h.advance(59_000);
    let stored = await h.store.requireWorkload('web');
    expect(stored.status.conditions.find((c) => c.type === 'Progressing')?.reason).toBe('RolloutInProgress');
    await h.advance(1_100);
    stored = await h.store.requireWorkload('web');
    expect(stored.status.conditions.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    // The old copies keep serving.
    expect((await h.live(w.workloadId)).filter((i) => i.revision === 1 && i.ready)).toHaveLength(2);
    await h.recorder.flush();
    expect(h.reasons()).toContain('ProgressDeadlineExceeded');
  });

  it('minReadySeconds holds the next step until a new copy has been ready that long', async () => {
    const w = await startService(2, { minReadySeconds: 30, strategy: { maxSurge: 1, maxUnavailable: 0 } });
    await h.advance(30_000); // the first copies become available
    await h.workloads.update('web', spec('web', { replicas: 2, minReadySeconds: 30, strategy: { maxSurge: 1, maxUnavailable: 0 }, containers: v2 }));
    await h.settle();
    await h.runAll(w.workloadId);
    await h.settle();
    expect((await h.instances(w.workloadId)).filter((i) => i.deletionRequestedAt)).toHaveLength(0);
    await h.advance(29_000);
    expect((await h.instances(w.workloadId)).filter((i) => i.deletionRequestedAt)).toHaveLength(0);
    await h.advance(1_100);
    expect((await h.instances(w.workloadId)).filter((i) => i.deletionRequestedAt)).toHaveLength(1);
  });
});

describe('rolling update bounds', () => {
  it.each([
    [1, 0, 5, 4],
    [0, 1, 4, 3],
    [2, 1, 6, 3],
    ['25%', '25%', 5, 3],
    [0, 0, 4, 3],
  ] as const)('maxSurge %s / maxUnavailable %s on 4 replicas: at most %i live and at least %i available at every step', async (maxSurge, maxUnavailable, maxLive, minAvailable) => {
    const strategy = { maxSurge, maxUnavailable };
    const w = await startService(4, { strategy });
    await h.workloads.update('web', spec('web', { replicas: 4, strategy, containers: v2 }));
    let done = false;
    for (let round = 0; round < 30 && !done; round++) {
      await h.settle();
      const live = await h.live(w.workloadId);
      expect(live.length).toBeLessThanOrEqual(maxLive);
      expect(live.filter((i) => i.status === 'Running' && i.ready).length).toBeGreaterThanOrEqual(minAvailable);
      done = live.length === 4 && live.every((i) => i.revision === 2 && i.ready);
      // Agents: one new copy becomes ready per round, and stopped copies go away.
      const starting = live.find((i) => i.nodeId && !i.ready);
      if (starting) await h.report(starting.instanceId, { status: 'Running', ready: true });
      await h.finalizeDeletions();
    }
    expect(done).toBe(true);
  });
});

describe('drain', () => {
  it('moves instances off a draining node one at a time, each new copy available before an old one stops', async () => {
    const w = await startService(2);
    await h.addNode('b');
    await h.setNode('a', { unschedulable: true, draining: true });
    let minAvailable = Infinity;
    for (let round = 0; round < 10; round++) {
      await h.settle();
      const all = await h.instances(w.workloadId);
      const available = all.filter((i) => !i.deletionRequestedAt && i.status === 'Running' && i.ready).length;
      minAvailable = Math.min(minAvailable, available);
      const live = all.filter((i) => !i.deletionRequestedAt);
      if (live.length === 2 && live.every((i) => i.nodeId === 'b' && i.ready)) break;
      expect(all.filter((i) => i.deletionRequestedAt).length).toBeLessThanOrEqual(1);
      await h.runAll(w.workloadId);
      await h.finalizeDeletions();
    }
    const final = await h.instances(w.workloadId);
    expect(final.map((i) => i.nodeId)).toEqual(['b', 'b']);
    expect(minAvailable).toBe(2);
    await h.recorder.flush();
    expect(h.reasons()).toContain('Drained');
  });

  it('draining a node that was already cordoned starts moving its instances at once', async () => {
    const w = await startService(1);
    await h.addNode('b');
    await h.setNode('a', { unschedulable: true });
    await h.settle();
    await h.setNode('a', { draining: true });
    await h.settle();
    const all = await h.instances(w.workloadId);
    expect(all.map((i) => i.nodeId).sort()).toEqual(['a', 'b']);
  });
});

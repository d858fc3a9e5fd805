import { afterEach, describe, expect, it } from 'vitest';
import { instanceRequests, newInstance } from './instance-factory.js';
import { CoreHarness, spec, START } from './orchestrator.test-harness.js';

let h: CoreHarness;
afterEach(async () => {
  await h?.stop();
});

describe('services', () => {
  it('scaling up places every new instance on a node, bound and Pending', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 3 }));
    await h.settle();
    const instances = await h.instances(w.workloadId);
    expect(instances).toHaveLength(3);
    for (const i of instances) {
      expect(['n1', 'n2']).toContain(i.nodeId);
      expect(i).toMatchObject({ status: 'Pending', revision: 1, workloadName: 'web' });
    }
    expect(new Set(instances.map((i) => i.name)).size).toBe(3);
    expect(h.reasons()).toEqual([]); // buffered until flush
    await h.recorder.flush();
    expect(h.reasons()).toEqual(expect.arrayContaining(['ScaledUp', 'Scheduled']));
  });

  it('writes a workload\'s ready count at most every 250 ms, and the last count always lands', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 6 }));
    await h.settle();
    const [a, b, c, ...rest] = await h.instances(w.workloadId);
    const status = async () => (await h.store.workloads.get(w.workloadId))!.status;
    await h.advance(250);
    await h.report(a.instanceId, { status: 'Running', ready: true });
    await h.settle();
    expect((await status()).readyReplicas).toBe(1);
    // Within 250 ms of that write: counts wait, then land together.
    await h.report(b.instanceId, { status: 'Running', ready: true });
    await h.report(c.instanceId, { status: 'Running', ready: true });
    await h.settle();
    expect((await status()).readyReplicas).toBe(1);
    await h.advance(250);
    expect((await status()).readyReplicas).toBe(3);
    // The rest complete the rollout: a condition turns, written at once.
    for (const i of rest) await h.report(i.instanceId, { status: 'Running', ready: true });
    await h.settle();
    expect(await status()).toMatchObject({ readyReplicas: 6, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Progressing', reason: 'RolloutComplete' })]) });
  });

  it('scaling down removes the unplaced copy first, then the one not yet running, and keeps running ones', async () => {
    h = new CoreHarness();
    await h.addNode('small', { allocatable: { cpuCores: 3, memoryMb: 4096, diskMb: 1000 }, capacity: { cpuCores: 3, memoryMb: 4096, diskMb: 1000 } });
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 4, containers: [{ name: 'main', image: 'busybox', resourceRequests: { cpuMillicores: 1000 } }] }));
    await h.settle();
    const all = await h.instances(w.workloadId);
    const unplaced = all.filter((i) => !i.nodeId);
    const placed = all.filter((i) => i.nodeId);
    expect(unplaced).toHaveLength(1);
    expect(unplaced[0].reason).toBe('Unschedulable');
    await h.report(placed[0].instanceId, { status: 'Running', ready: true });
    await h.report(placed[1].instanceId, { status: 'Running', ready: true });
    await h.settle();

    await h.workloads.scale('web', 2);
    await h.settle();
    const after = await h.instances(w.workloadId);
    expect(after.map((i) => i.instanceId)).not.toContain(unplaced[0].instanceId);
    const stopping = after.filter((i) => i.deletionRequestedAt);
    expect(stopping.map((i) => i.instanceId)).toEqual([placed[2].instanceId]);
    expect(stopping[0]).toMatchObject({ status: 'Terminating', reason: 'ScaledDown' });
    expect((await h.live(w.workloadId)).map((i) => i.instanceId).sort()).toEqual([placed[0].instanceId, placed[1].instanceId].sort());
  });

  it('among running copies, scaling down takes the newest on the most loaded node', async () => {
    h = new CoreHarness();
    await h.addNode('busy');
    await h.addNode('idle');
    const w = await h.workloads.create(spec('web', { replicas: 3, containers: [{ name: 'main', image: 'busybox', resourceRequests: { cpuMillicores: 2000 } }] }));
    const at = (min: number) => new Date(START + min * 60_000).toISOString();
    const make = (nodeId: string, createdAt: string) => ({ ...newInstance(w, nodeId, createdAt), status: 'Running' as const, ready: true });
    const oldBusy = make('busy', at(1));
    const newBusy = make('busy', at(2));
    const newestIdle = make('idle', at(3));
    expect(instanceRequests(w).cpuMillicores).toBe(2000);
    await h.store.commit([oldBusy, newBusy, newestIdle].map((i) => h.store.instances.create(i)));
    await h.start();
    expect(await h.live(w.workloadId)).toHaveLength(3);

    await h.workloads.scale('web', 2);
    await h.settle();
    const stopping = (await h.instances(w.workloadId)).filter((i) => i.deletionRequestedAt).map((i) => i.instanceId);
    expect(stopping).toEqual([newBusy.instanceId]);
  });

  it('an instance no node can take waits Pending with the reason, and is placed when a node that fits joins', async () => {
    h = new CoreHarness();
    await h.addNode('small');
    await h.start();
    const w = await h.workloads.create(spec('big', { containers: [{ name: 'main', image: 'busybox', resourceRequests: { cpuMillicores: 16_000 } }] }));
    await h.settle();
    const [waiting] = await h.instances(w.workloadId);
    expect(waiting).toMatchObject({ nodeId: '', status: 'Pending', reason: 'Unschedulable' });
    const stored = await h.store.requireWorkload('big');
    expect(stored.status.pendingReplicas).toBe(1);
    expect(stored.status.pendingReason).toBe(waiting.message);
    await h.addNode('large', { capacity: { cpuCores: 32, memoryMb: 65_536, diskMb: 100_000 }, allocatable: { cpuCores: 32, memoryMb: 65_536, diskMb: 100_000 } });
    await h.settle();
    const [placed] = await h.instances(w.workloadId);
    expect(placed).toMatchObject({ instanceId: waiting.instanceId, nodeId: 'large', reason: 'Scheduled' });
    const after = (await h.store.requireWorkload('big')).status;
    expect(after.pendingReason).toBeUndefined();
    expect(after.conditions.some((c) => c.type === 'Schedulable')).toBe(false);
  });

  it('a replicas-only change keeps every instance and its revision', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 2 }));
    await h.settle();
    await h.runAll(w.workloadId);
    const before = (await h.instances(w.workloadId)).map((i) => i.instanceId).sort();
    const scaled = await h.workloads.scale('web', 4);
    expect(scaled.templateRevision).toBe(1);
    await h.settle();
    const after = await h.instances(w.workloadId);
    expect(after).toHaveLength(4);
    expect(after.every((i) => i.revision === 1 && !i.deletionRequestedAt)).toBe(true);
    expect(after.map((i) => i.instanceId)).toEqual(expect.arrayContaining(before));
  });

  it('replaces a failed instance at once, and the next failure only after the 10 s backoff', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('web'));
    await h.settle();
    const [first] = await h.instances(w.workloadId);
    await h.report(first.instanceId, { status: 'Failed', ready: false });
    await h.settle();
    const afterFirst = await h.instances(w.workloadId);
    expect(afterFirst.find((i) => i.instanceId === first.instanceId)).toMatchObject({ status: 'Failed', reason: 'ReplacingFailed' });
    expect(afterFirst.find((i) => i.instanceId === first.instanceId)?.deletionRequestedAt).toBeDefined();
    const [second] = await h.live(w.workloadId);
    expect(second.instanceId).not.toBe(first.instanceId);
    await h.finalizeDeletions();

    await h.report(second.instanceId, { status: 'Failed', ready: false });
    await h.settle();
    expect(await h.live(w.workloadId)).toHaveLength(0);
    await h.advance(9_999);
    expect(await h.live(w.workloadId)).toHaveLength(0);
    await h.advance(1);
    const [third] = await h.live(w.workloadId);
    expect(third).toBeDefined();
    expect([first.instanceId, second.instanceId]).not.toContain(third.instanceId);
  });

  it('drops the instances of a node that went Down and places replacements elsewhere', async () => {
    h = new CoreHarness();
    await h.addNode('a');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 2 }));
    await h.settle();
    const onA = await h.instances(w.workloadId);
    expect(onA.every((i) => i.nodeId === 'a')).toBe(true);
    await h.addNode('b');
    await h.setNode('a', { status: 'Down' });
    await h.settle();
    const now = await h.instances(w.workloadId);
    expect(now).toHaveLength(2);
    expect(now.every((i) => i.nodeId === 'b')).toBe(true);
    expect(now.some((i) => onA.some((o) => o.instanceId === i.instanceId))).toBe(false);
    await h.recorder.flush();
    expect(h.events.filter((e) => e.reason === 'NodeLost')).toHaveLength(2);
  });

  it('rolls a template change with maxSurge 1 / maxUnavailable 0: never more than replicas + 1, never fewer than replicas available', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 4, strategy: { maxSurge: 1, maxUnavailable: 0 } }));
    await h.settle();
    await h.runAll(w.workloadId);
    await h.settle();
    const originals = (await h.instances(w.workloadId)).map((i) => i.instanceId);

    const next = await h.workloads.update('web', spec('web', { replicas: 4, strategy: { maxSurge: 1, maxUnavailable: 0 }, containers: [{ name: 'main', image: 'busybox:1.37' }] }));
    expect(next.templateRevision).toBe(2);
    let maxTotal = 0;
    for (let step = 0; step < 20; step++) {
      await h.settle();
      const all = await h.instances(w.workloadId);
      const running = all.filter((i) => !i.deletionRequestedAt);
      maxTotal = Math.max(maxTotal, running.length);
      expect(running.filter((i) => i.status === 'Running' && i.ready).length).toBeGreaterThanOrEqual(4);
      if (running.length === 4 && running.every((i) => i.revision === 2 && i.ready)) break;
      await h.runAll(w.workloadId);
      await h.finalizeDeletions();
    }
    const final = await h.instances(w.workloadId);
    expect(final.filter((i) => !i.deletionRequestedAt).map((i) => i.revision)).toEqual([2, 2, 2, 2]);
    expect(final.some((i) => originals.includes(i.instanceId) && !i.deletionRequestedAt)).toBe(false);
    expect(maxTotal).toBe(5);
    const stored = await h.store.requireWorkload('web');
    expect(stored.status).toMatchObject({ updatedReplicas: 4, availableReplicas: 4 });
    expect(stored.status.conditions.find((c) => c.type === 'Progressing')?.reason).toBe('RolloutComplete');
  });

  it('deleting a workload asks every placed instance to stop', async () => {
    h = new CoreHarness();
    await h.addNode('n1');
    await h.start();
    const w = await h.workloads.create(spec('web', { replicas: 3 }));
    await h.settle();
    await h.runAll(w.workloadId);
    await h.workloads.delete('web');
    await h.settle();
    const left = await h.instances(w.workloadId);
    expect(left).toHaveLength(3);
    for (const i of left) expect(i).toMatchObject({ status: 'Terminating', reason: 'WorkloadDeleted' });
    expect(left.every((i) => i.deletionRequestedAt)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDir, startApi, tempDir, type ApiProcess } from '../support/cluster.js';
import { apply, sh } from './lifecycle-support.js';

describe('a crashing container backs off (process runtime)', () => {
  const dataDir = tempDir();
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApi({ dataDir, runtime: 'process' });
  });
  afterAll(async () => {
    await api?.cli(['workload', 'delete', 'crasher', '--wait']).catch(() => undefined);
    await api?.kill();
    removeDir(dataDir);
  });

  /** When each restart happened, by restart number, from the agent's `Restarted` events. */
  async function restartTimes(): Promise<Map<number, number>> {
    const { items } = await api.client.listEvents({ workload: 'crasher', limit: 500 });
    const times = new Map<number, number>();
    for (const e of items) {
      const m = /^container main restarted \(restart (\d+);/.exec(e.message);
      if (e.reason === 'Restarted' && m) times.set(Number(m[1]), Date.parse(e.firstTime));
    }
    return times;
  }

  it('restarts with growing delays (immediately, then after ≥10 s, then ≥20 s), showing CrashLoopBackOff and the next retry', async () => {
    await apply(api, { name: 'crasher', containers: [{ name: 'main', image: 'busybox', command: sh('echo crashing; exit 3') }] });

    // After the second crash the container waits 10 s: describe says so.
    const waiting = await eventually(async () => {
      const { items } = await api.client.listInstances({ workload: 'crasher' });
      const c = items[0]?.containers[0];
      return c?.reason === 'CrashLoopBackOff' && c.restartCount === 1 ? items[0] : undefined;
    }, 'CrashLoopBackOff after the first restart', 30_000);
    const described = await api.cli(['instance', 'describe', waiting.name]);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/State:\s+Stopped \(CrashLoopBackOff\)/);
    const nextRetry = /Next retry:\s+(\S+)/.exec(described.stdout)?.[1];
    expect(nextRetry && Date.parse(nextRetry)).toBeGreaterThan(Date.now());
    expect(described.stdout).toMatch(/Last termination:\s+Error \(exit code 3\)/);
    expect(described.stdout).toMatch(/BackOff/);

    const times = await eventually(async () => {
      const t = await restartTimes();
      return t.has(3) ? t : undefined;
    }, 'a third restart', 60_000, 500);
    const gap1 = times.get(2)! - times.get(1)!;
    const gap2 = times.get(3)! - times.get(2)!;
    expect(gap1).toBeGreaterThanOrEqual(10_000);
    expect(gap2).toBeGreaterThanOrEqual(20_000);
    expect(gap2).toBeGreaterThan(gap1);
    const inst = (await api.client.listInstances({ workload: 'crasher' })).items[0];
    expect(inst.containers[0].restartCount).toBeGreaterThanOrEqual(3);
    expect(inst.containers[0].lastTermination?.exitCode).toBe(3);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { containerRuntimeContract } from '../../../test/contracts/container-runtime.contract.js';
import { ManualClock } from '../../types/clock.js';
import { isOrchestrationError } from '../../types/errors.js';
import type { ContainerConfig } from '../../types/container.js';
import { SimulatedRuntime } from './simulated-runtime.js';

containerRuntimeContract('simulated', async () => new SimulatedRuntime(), {
  commandFor(b): Partial<ContainerConfig> {
    switch (b.kind) {
      case 'runsForever':
        return { env: b.prints ? { SIM_LOG: b.prints } : {} };
      case 'exits':
        return {
          env: {
            ...(b.prints.length ? { SIM_LOG: b.prints.join('\n') } : {}),
            ...(b.thenPrints ? { SIM_EXIT_LOG: b.thenPrints } : {}),
            SIM_RUN_FOR: String(b.afterMs ?? 0),
            SIM_EXIT_CODE: String(b.exitCode),
          },
        };
      case 'ignoresSigterm':
        return { env: { SIM_IGNORE_SIGTERM: '1', SIM_LOG: b.prints } };
      case 'printsEnv':
        return { env: { SIM_ECHO_ENV: b.variable, SIM_RUN_FOR: '0' } };
      case 'cannotStart':
        return { env: { SIM_START_ERROR: 'no such image' } };
    }
  },
});

function config(env: Record<string, string> = {}): ContainerConfig {
  return { name: 'app', image: 'sim', env } as ContainerConfig;
}

describe('SimulatedRuntime on an injected clock', () => {
  it('runs a container for SIM_RUN_FOR and exits with SIM_EXIT_CODE only when the clock gets there', async () => {
    const clock = new ManualClock(1_000_000);
    const rt = new SimulatedRuntime({ clock });
    await rt.initNode('n1');
    await rt.createContainer('n1', 'c1', config({ SIM_RUN_FOR: '5000', SIM_EXIT_CODE: '2' }), { labels: {} });
    clock.advance(4999);
    expect((await rt.getContainerStatus('n1', 'c1')).state).toBe('Running');
    clock.advance(1);
    expect(await rt.getContainerStatus('n1', 'c1')).toMatchObject({
      state: 'Stopped',
      exitCode: 2,
      startedAt: new Date(1_000_000).toISOString(),
      finishedAt: new Date(1_005_000).toISOString(),
    });
  });

  it('holds createContainer for SIM_START_DELAY, with the container Starting meanwhile', async () => {
    const clock = new ManualClock();
    const rt = new SimulatedRuntime({ clock });
    await rt.initNode('n1');
    let resolved = false;
    const creating = rt.createContainer('n1', 'c1', config({ SIM_START_DELAY: '3000' }), { labels: {} }).then(() => (resolved = true));
    await Promise.resolve();
    expect((await rt.getContainerStatus('n1', 'c1')).state).toBe('Starting');
    clock.advance(3000);
    await creating;
    expect(resolved).toBe(true);
    expect(await rt.getContainerStatus('n1', 'c1')).toMatchObject({ state: 'Running', startedAt: new Date(3000).toISOString() });
  });

  it('waits the grace period on the clock before killing a container that ignores SIGTERM', async () => {
    const clock = new ManualClock();
    const rt = new SimulatedRuntime({ clock });
    await rt.initNode('n1');
    await rt.createContainer('n1', 'c1', config({ SIM_IGNORE_SIGTERM: '1' }), { labels: {} });
    let stopped = false;
    const stopping = rt.stopContainer('n1', 'c1', 30_000).then(() => (stopped = true));
    clock.advance(29_999);
    await Promise.resolve();
    expect(stopped).toBe(false);
    expect((await rt.getContainerStatus('n1', 'c1')).state).toBe('Running');
    clock.advance(1);
    await stopping;
    expect(await rt.getContainerStatus('n1', 'c1')).toMatchObject({ state: 'Stopped', exitCode: 137 });
  });

  it('rejects a malformed script with RuntimeError naming the variable', async () => {
    const rt = new SimulatedRuntime({ clock: new ManualClock() });
    await rt.initNode('n1');
    await expect(rt.createContainer('n1', 'c1', config({ SIM_RUN_FOR: 'soon' }), { labels: {} })).rejects.toSatisfy(
      (e) => isOrchestrationError(e, 'RuntimeError') && /SIM_RUN_FOR/.test((e as Error).message),
    );
  });

  it('refuses containers on a node it was never told about', async () => {
    const rt = new SimulatedRuntime({ clock: new ManualClock() });
    await expect(rt.createContainer('nowhere', 'c1', config(), { labels: {} })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError'));
  });

  it('crashes a container on demand and tells exit listeners', async () => {
    const rt = new SimulatedRuntime({ clock: new ManualClock() });
    const exits: string[] = [];
    rt.onExit((n, c) => exits.push(`${n}/${c}`));
    await rt.initNode('n1');
    await rt.createContainer('n1', 'c1', config(), { labels: {} });
    rt.failContainer('n1', 'c1', 139, 'segfault');
    expect(await rt.getContainerStatus('n1', 'c1')).toMatchObject({ state: 'Stopped', exitCode: 139, reason: 'Error', message: 'segfault' });
    expect(exits).toEqual(['n1/c1']);
  });

  it('holds 150,000 unscripted containers on 1,000 nodes without a single timer', async () => {
    const clock = new ManualClock();
    const rt = new SimulatedRuntime({ clock });
    const cfg = config();
    for (let n = 0; n < 1000; n++) await rt.initNode(`node-${n}`);
    for (let i = 0; i < 150_000; i++) await rt.createContainer(`node-${i % 1000}`, `c-${i}`, cfg, { labels: { i: String(i) } });
    expect(rt.stats()).toEqual({ nodes: 1000, containers: 150_000, running: 150_000 });
    expect(clock.pendingTimers()).toBe(0);
    const onOne = await rt.listContainers('node-7');
    expect(onOne).toHaveLength(150);
    expect(onOne.every((c) => c.state === 'Running')).toBe(true);
  });
});

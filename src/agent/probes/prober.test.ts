import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContainerRuntime, ExecSession } from '../../runtime/container-runtime.js';
import { ManualClock } from '../../types/clock.js';
import { probeSchema, type ContainerConfig, type Probe } from '../../types/container.js';
import type { WorkloadInstance } from '../../types/instance.js';
import { silentLogger } from '../../types/logger.js';
import { Prober, type ProbeEvent } from './prober.js';

/** A runtime whose exec answers from a script: `answers[command[0]]` is the next exit code. */
function fakeRuntime(answer: (command: string[]) => { code: number; output?: string } | 'hang') {
  const calls: string[][] = [];
  const runtime = {
    name: 'fake',
    exec: async (_n: string, _c: string, command: string[], o: { signal?: AbortSignal }): Promise<ExecSession> => {
      calls.push(command);
      const a = answer(command);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let exitCode: Promise<number>;
      if (a === 'hang') {
        exitCode = new Promise((resolve) => o.signal?.addEventListener('abort', () => resolve(137)));
      } else {
        stdout.end(a.output ?? '');
        stderr.end();
        exitCode = Promise.resolve(a.code);
      }
      return { stdout, stderr, exitCode };
    },
  } as unknown as ContainerRuntime;
  return { runtime, calls };
}

const probe = (p: Partial<Probe> & { exec?: Probe['exec'] }): Probe => probeSchema.parse({ exec: { command: ['check'] }, ...p });
const instance = { instanceId: 'web-abc12', name: 'web-abc12', workloadId: 'w1' } as WorkloadInstance;
const settle = () => new Promise((r) => setImmediate(r));

function setup(container: Partial<ContainerConfig>, answer: Parameters<typeof fakeRuntime>[0]) {
  const clock = new ManualClock(1_000_000);
  const { runtime, calls } = fakeRuntime(answer);
  const events: ProbeEvent[] = [];
  const changes: string[] = [];
  const prober = new Prober({ runtime, clock, log: silentLogger, onEvent: (e) => events.push(e) });
  prober.onChange((id) => changes.push(id));
  const spec = { name: 'main', image: 'busybox', ...container } as ContainerConfig;
  const cid = 'web-abc12.main';
  prober.containerStarted('n1', instance, spec, cid);
  /** Moves time by `ms` in steps of 100 ms, letting each attempt finish before its timeout falls due. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      for (let k = 0; k < 4; k++) await settle();
    }
  };
  return { clock, calls, events, changes, prober, spec, cid, advance, ready: () => prober.readiness(instance.instanceId, spec) };
}

describe('Prober', () => {
  it('a container without probes is ready at once and never probed', async () => {
    const s = setup({}, () => ({ code: 1 }));
    await s.advance(60_000);
    expect(s.ready()).toBe(true);
    expect(s.calls).toHaveLength(0);
  });

  it('readiness is false until the first success after initialDelaySeconds, then follows failureThreshold', async () => {
    let healthy = true;
    const s = setup({ readinessProbe: probe({ initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 2 }) }, () => ({ code: healthy ? 0 : 1, output: healthy ? '' : 'not yet' }));
    expect(s.ready()).toBe(false);
    await s.advance(4000);
    expect(s.calls).toHaveLength(0);
    expect(s.ready()).toBe(false);
    await s.advance(1000);
    expect(s.calls).toHaveLength(1);
    expect(s.ready()).toBe(true);
    expect(s.changes).toEqual(['web-abc12']);

    healthy = false;
    await s.advance(2000);
    expect(s.ready()).toBe(true); // one failure is below the threshold
    expect(s.events.map((e) => e.message)).toEqual(['Readiness probe failed: not yet']);
    await s.advance(2000);
    expect(s.ready()).toBe(false);
    expect(s.changes).toHaveLength(2);
    healthy = true;
    await s.advance(2000);
    expect(s.ready()).toBe(true);
  });

  it('successThreshold needs that many consecutive successes before ready', async () => {
    const s = setup({ readinessProbe: probe({ periodSeconds: 1, successThreshold: 3 }) }, () => ({ code: 0 }));
    await s.advance(1900); // attempts at 0 s and 1 s
    expect(s.ready()).toBe(false);
    await s.advance(100); // the third, at 2 s
    expect(s.ready()).toBe(true);
  });

  it('a liveness failure past the threshold is handed over once, with the output, and probing pauses', async () => {
    const s = setup({ livenessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }) }, () => ({ code: 1, output: 'dead' }));
    await s.advance(19_000); // attempts at 0 s and 10 s
    expect(s.prober.takeLivenessFailure(s.cid)).toBeUndefined();
    await s.advance(1000); // the third, at 20 s
    expect(s.events).toHaveLength(3);
    expect(s.events[0]).toMatchObject({ reason: 'Unhealthy', probe: 'liveness', message: 'Liveness probe failed: dead', container: 'main', nodeId: 'n1' });
    expect(s.changes).toEqual(['web-abc12']);
    expect(s.prober.takeLivenessFailure(s.cid)).toBe('failed 3 times: dead');
    expect(s.prober.takeLivenessFailure(s.cid)).toBeUndefined();
    await s.advance(60_000);
    expect(s.calls).toHaveLength(3);

    // Restarted: probed afresh.
    s.prober.containerGone(s.cid);
    s.prober.containerStarted('n1', instance, s.spec, s.cid);
    await s.advance(30_000);
    expect(s.prober.takeLivenessFailure(s.cid)).toBe('failed 3 times: dead');
  });

  it('a startup probe holds liveness and readiness off until it passes', async () => {
    let up = false;
    const s = setup(
      {
        startupProbe: probe({ exec: { command: ['started'] }, periodSeconds: 1, failureThreshold: 30 }),
        livenessProbe: probe({ exec: { command: ['alive'] }, periodSeconds: 1 }),
        readinessProbe: probe({ exec: { command: ['ready'] }, periodSeconds: 1 }),
      },
      (cmd) => ({ code: cmd[0] === 'started' ? (up ? 0 : 1) : 0 }),
    );
    await s.advance(5000);
    expect(s.calls.every((c) => c[0] === 'started')).toBe(true);
    expect(s.ready()).toBe(false);
    up = true;
    await s.advance(1000);
    await s.advance(1000);
    expect(s.ready()).toBe(true);
    const afterStart = s.calls.filter((c) => c[0] !== 'started').map((c) => c[0]);
    expect(afterStart).toEqual(expect.arrayContaining(['alive', 'ready']));
    const startupCalls = s.calls.filter((c) => c[0] === 'started').length;
    await s.advance(5000);
    expect(s.calls.filter((c) => c[0] === 'started')).toHaveLength(startupCalls);
  });

  it('a startup probe that never passes counts as a liveness failure', async () => {
    const s = setup({ startupProbe: probe({ periodSeconds: 1, failureThreshold: 4 }), readinessProbe: probe({}) }, () => ({ code: 1, output: 'booting' }));
    await s.advance(2900); // attempts at 0, 1 and 2 s
    expect(s.prober.takeLivenessFailure(s.cid)).toBeUndefined();
    await s.advance(100); // the fourth, at 3 s
    expect(s.prober.takeLivenessFailure(s.cid)).toBe('startup probe failed 4 times: booting');
    expect(s.events[0].message).toBe('Startup probe failed: booting');
    expect(s.ready()).toBe(false);
  });

  it('an attempt longer than timeoutSeconds fails, and the next one waits for the period', async () => {
    const s = setup({ readinessProbe: probe({ periodSeconds: 10, timeoutSeconds: 2 }) }, () => 'hang');
    await s.advance(1000);
    expect(s.events).toHaveLength(0);
    await s.advance(2000);
    expect(s.events).toHaveLength(1);
    expect(s.events[0].message).toMatch(/Readiness probe failed: command \["check"\] timed out/);
    expect(s.calls).toHaveLength(1);
    await s.advance(8000);
    expect(s.calls).toHaveLength(2);
  });

  it('containerGone stops the probes and forgets a pending verdict; stop() ends every timer', async () => {
    const s = setup({ livenessProbe: probe({ periodSeconds: 1, failureThreshold: 1 }) }, () => ({ code: 1 }));
    await s.advance(1000);
    s.prober.containerGone(s.cid);
    expect(s.prober.takeLivenessFailure(s.cid)).toBeUndefined();
    s.prober.containerStarted('n1', instance, s.spec, s.cid);
    s.prober.stop();
    expect(s.clock.pendingTimers()).toBe(0);
  });

  it('containerStarted twice for one container keeps one set of probes', async () => {
    const s = setup({ readinessProbe: probe({ periodSeconds: 1 }) }, () => ({ code: 0 }));
    s.prober.containerStarted('n1', instance, s.spec, s.cid);
    await s.advance(3000);
    expect(s.calls.length).toBeLessThanOrEqual(4);
    expect(s.calls.length).toBeGreaterThanOrEqual(3);
  });
});

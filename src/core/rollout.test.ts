import { describe, expect, it } from 'vitest';
import { resolveIntOrPercent, rollingStep, rolloutLimits } from './rollout.js';
import { inst } from './objects.test-harness.js';

describe('rollout limits and steps', () => {
  it('rounds a surge percentage up and an unavailable percentage down, as Kubernetes does', () => {
    expect(resolveIntOrPercent('25%', 10, true)).toBe(3);
    expect(resolveIntOrPercent('25%', 10, false)).toBe(2);
    expect(resolveIntOrPercent(4, 10, false)).toBe(4);
    expect(rolloutLimits({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }, 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('allows one unavailable when both limits are zero, so a rollout can move', () => {
    expect(rolloutLimits({ type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 }, 5)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('with maxSurge 1 / maxUnavailable 0 adds one new copy and removes no available old one', () => {
    const old = [inst(), inst(), inst()];
    const step = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, [], old, (i) => i.ready);
    expect(step).toEqual({ create: 1, removeOld: [] });
  });

  it('removes an old copy once a new one is available, never going below replicas - maxUnavailable', () => {
    const old = [inst(), inst(), inst()];
    const fresh = [inst({ revision: 2 })];
    const step = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, fresh, old, (i) => i.ready);
    expect(step.create).toBe(0);
    expect(step.removeOld).toHaveLength(1);
    const notYet = rollingStep(3, { maxSurge: 1, maxUnavailable: 0 }, [inst({ revision: 2, ready: false })], old, (i) => i.ready);
    expect(notYet).toEqual({ create: 0, removeOld: [] });
  });

  it('takes unavailable old copies before available ones', () => {
    const broken = inst({ instanceId: 'broken', ready: false });
    const old = [inst({ instanceId: 'ok1' }), broken, inst({ instanceId: 'ok2' })];
    const step = rollingStep(3, { maxSurge: 0, maxUnavailable: 1 }, [], old, (i) => i.ready);
    expect(step.removeOld.map((i) => i.instanceId)).toEqual(['broken']);
  });
});

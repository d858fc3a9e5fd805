import { scorePlugin } from '../plugin.js';

/**
 * A workload's copies prefer nodes holding fewer of them, so replicas do not share a failure
 * even without a spread constraint (Kubernetes' default spreading of a service's pods).
 */
export const workloadSpreadScore = scorePlugin<true>({
  name: 'workload-spread',
  scope: 'node',
  normalize: 'reverse-min-max',
  prepare: () => true,
  score: (info, _s, cycle) => cycle.ownOn(info.node.id),
});

import { scorePlugin } from '../plugin.js';

/**
 * A workload's copies prefer nodes holding fewer of them, so replicas do not share a failure
 * even without a spread constraint (Kubernetes' default spreading of a service's pods): 100 for
 * none, 50 for one, 33 for two…
 */
export const workloadSpreadScore = scorePlugin<true>({
  name: 'workload-spread',
  scope: 'node',
  normalize: 'none',
  prepare: () => true,
  score: (info, _s, cycle) => 100 / (1 + cycle.ownOn(info.node.id)),
});

import { readinessReason } from '../no-placement.js';
import { filterPlugin } from '../plugin.js';

/** Only Ready, uncordoned nodes take new instances. */
export const nodeReadyFilter = filterPlugin<true>({
  name: 'node-ready',
  scope: 'static',
  monotonic: true,
  prepare: () => true,
  check: (info) => readinessReason(info.node),
});

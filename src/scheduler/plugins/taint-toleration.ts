import type { Toleration } from '../../types/placement.js';
import { filterPlugin, scorePlugin } from '../plugin.js';
import { firstUntolerated, formatTaint, isTolerated } from '../taints.js';

const BLOCKING = ['NoSchedule', 'NoExecute'] as const;

/** A NoSchedule or NoExecute taint keeps off every instance that does not tolerate it. */
export const taintTolerationFilter = filterPlugin<readonly Toleration[]>({
  name: 'taint-toleration',
  scope: 'static',
  monotonic: true,
  prepare: (cycle) => cycle.request.workload.tolerations ?? [],
  check: (info, tolerations) => {
    if (info.node.taints.length === 0) return undefined;
    const taint = firstUntolerated(info.node.taints, tolerations, BLOCKING);
    return taint ? `node(s) had untolerated taint ${formatTaint(taint)}` : undefined;
  },
});

/** PreferNoSchedule: the fewer untolerated ones a node has, the better: 100 for none, 50 for one, 33 for two… */
export const taintTolerationScore = scorePlugin<readonly Toleration[]>({
  name: 'taint-toleration',
  scope: 'static',
  normalize: 'none',
  prepare: (cycle) => cycle.request.workload.tolerations ?? [],
  score: (info, tolerations) => {
    let n = 0;
    for (const t of info.node.taints) if (t.effect === 'PreferNoSchedule' && !isTolerated(t, tolerations)) n++;
    return 100 / (1 + n);
  },
});

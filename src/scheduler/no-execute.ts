import type { Taint, Toleration } from '../types/placement.js';
import { formatTaint, tolerates } from './taints.js';

export interface NoExecuteEviction {
  instanceId: string;
  /** The NoExecute taint that evicts it (`maint:NoExecute`). */
  taint: string;
  /** 0: evict now; otherwise after this many seconds (the shortest tolerationSeconds that applies). */
  afterSeconds: number;
}

/**
 * Which instances a node's NoExecute taints evict (Kubernetes' taint manager, as a pure
 * function): an instance that does not tolerate one of them goes now; one whose tolerations of
 * them carry tolerationSeconds goes when the shortest is over (as in Kubernetes, a timed
 * toleration bounds the stay even beside an untimed one); one that tolerates them for good stays. The caller passes each instance with its workload's
 * tolerations and schedules the evictions.
 */
export function noExecuteEvictions(taints: readonly Taint[], instances: Iterable<{ instanceId: string; tolerations?: readonly Toleration[] }>): NoExecuteEviction[] {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return [];
  const out: NoExecuteEviction[] = [];
  for (const inst of instances) {
    let soonest: { taint: Taint; seconds: number } | undefined;
    for (const taint of noExecute) {
      const matching = (inst.tolerations ?? []).filter((t) => tolerates(t, taint));
      if (matching.length === 0) {
        soonest = { taint, seconds: 0 };
        break;
      }
      const timed = matching.filter((t) => t.tolerationSeconds !== undefined);
      if (timed.length === 0) continue;
      const seconds = Math.min(...timed.map((t) => t.tolerationSeconds!));
      if (!soonest || seconds < soonest.seconds) soonest = { taint, seconds };
    }
    if (soonest) out.push({ instanceId: inst.instanceId, taint: formatTaint(soonest.taint), afterSeconds: soonest.seconds });
  }
  return out;
}

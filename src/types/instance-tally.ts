import { isTerminal, type WorkloadInstance } from './instance.js';

/**
 * Instance counts by status, and what the placed ones request: the figures of `cluster info`, kept
 * up to date change by change so that reading them costs nothing however many instances there are.
 */
export class InstanceTally {
  total = 0;
  readonly byStatus: Record<string, number> = {};
  readonly requested = { cpuMillicores: 0, memoryMb: 0 };

  static of(instances: Iterable<WorkloadInstance>): InstanceTally {
    const t = new InstanceTally();
    for (const i of instances) t.add(i);
    return t;
  }

  add(i: WorkloadInstance): void {
    this.count(i, 1);
  }

  remove(i: WorkloadInstance): void {
    this.count(i, -1);
  }

  private count(i: WorkloadInstance, sign: 1 | -1): void {
    this.total += sign;
    const n = (this.byStatus[i.status] ?? 0) + sign;
    if (n === 0) delete this.byStatus[i.status];
    else this.byStatus[i.status] = n;
    if (i.nodeId && !isTerminal(i.status)) {
      this.requested.cpuMillicores += sign * i.requests.cpuMillicores;
      this.requested.memoryMb += sign * i.requests.memoryMb;
    }
  }
}

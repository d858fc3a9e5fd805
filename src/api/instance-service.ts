import { inCommitSizedChunks } from '../store/chunks.js';
import type { ClusterStore } from '../store/cluster-store.js';
import { OrchestrationError } from '../types/errors.js';
import { INSTANCE_STATUSES, type InstanceStatusReport, type WorkloadInstance } from '../types/instance.js';
import type { Principal } from './auth.js';

/**
 * What agents write: status reports (batched) and the final removal of an instance whose stop was
 * requested. Status fields are the agent's; placement and deletion requests are the control plane's,
 * so a report merges into the stored object and never touches those.
 */
export class InstanceService {
  constructor(
    private readonly store: ClusterStore,
    /**
     * A watch-fed copy of the instances (the core's cache), read first so that a report costs no
     * store read; it may be behind, which the guarded commit catches, and then the store is read.
     */
    private readonly cached?: { get(id: string): WorkloadInstance | undefined },
  ) {}

  async report(reports: InstanceStatusReport[], principal: Principal): Promise<{ applied: number; unknown: string[] }> {
    for (const [k, r] of reports.entries()) {
      if (!r || typeof r.instanceId !== 'string' || !INSTANCE_STATUSES.includes(r.status) || !Array.isArray(r.containers)) {
        throw OrchestrationError.invalidInput([{ path: `reports[${k}]`, message: 'must have instanceId, status and containers' }], 'status report');
      }
    }
    const unknown: string[] = [];
    let applied = 0;
    for (const part of inCommitSizedChunks(this.store.kv, reports)) {
      const res = await this.reportChunk(part, principal);
      applied += res.applied;
      unknown.push(...res.unknown);
    }
    return { applied, unknown };
  }

  private async reportChunk(reports: InstanceStatusReport[], principal: Principal): Promise<{ applied: number; unknown: string[] }> {
    const unknown: string[] = [];
    let applied = 0;
    let pending = reports;
    for (let attempt = 0; attempt < 8 && pending.length > 0; attempt++) {
      const merged: Array<{ next: WorkloadInstance; report: InstanceStatusReport }> = [];
      for (const r of pending) {
        let current = attempt === 0 ? this.cached?.get(r.instanceId) : undefined;
        // What the cache does not know yet (a binding it has not seen) is asked of the store.
        if (!current || (principal.kind === 'agent' && current.nodeId !== principal.nodeId)) current = await this.store.instances.get(r.instanceId);
        if (!current) {
          if (!unknown.includes(r.instanceId)) unknown.push(r.instanceId);
          continue;
        }
        if (principal.kind === 'agent' && current.nodeId !== principal.nodeId) throw new OrchestrationError('Forbidden', `instance ${r.instanceId} is not bound to node ${principal.nodeId}`);
        merged.push({ next: mergeReport(current, r), report: r });
      }
      if (merged.length === 0) break;
      const res = await this.store.commit(merged.map((m) => this.store.instances.put(m.next)));
      if (res.ok) {
        applied += merged.length;
        break;
      }
      // One of them was changed meanwhile (a deletion request, another report): read and merge again.
      pending = merged.map((m) => m.report);
    }
    return { applied, unknown };
  }

  /** The agent has stopped and removed the instance's containers: the record goes. */
  async finalize(id: string, principal: Principal): Promise<void> {
    const current = await this.store.instances.get(id);
    if (!current) return;
    if (principal.kind === 'agent' && current.nodeId !== principal.nodeId) throw new OrchestrationError('Forbidden', `instance ${id} is not bound to node ${principal.nodeId}`);
    if (!current.deletionRequestedAt) throw OrchestrationError.conflict(`instance ${id} has not been asked to stop; delete its workload or scale it down instead`);
    const res = await this.store.commit([this.store.instances.delete(id, current.resourceVersion)]);
    if (!res.ok) return this.finalize(id, principal);
  }
}

function mergeReport(current: WorkloadInstance, r: InstanceStatusReport): WorkloadInstance {
  // A stop the control plane asked for shows as Terminating until the record goes, whatever the
  // containers say, unless they already finished.
  const status = current.deletionRequestedAt && r.status !== 'Succeeded' && r.status !== 'Failed' ? 'Terminating' : r.status;
  const readySince = r.ready ? (current.ready && current.readySince ? current.readySince : new Date().toISOString()) : undefined;
  return {
    ...current,
    status,
    ready: r.ready && !current.deletionRequestedAt,
    containers: r.containers,
    reason: r.reason ?? (current.deletionRequestedAt ? current.reason : undefined),
    message: r.message,
    startedAt: r.startedAt ?? current.startedAt,
    finishedAt: r.finishedAt,
    readySince,
  };
}

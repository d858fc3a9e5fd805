import { randomUUID } from 'node:crypto';
import { revisionId, type ClusterStore } from '../store/cluster-store.js';
import type { WriteOp } from '../store/state-store.js';
import { OrchestrationError } from '../types/errors.js';
import { parseOrThrow } from '../types/validation.js';
import {
  defaultRestartPolicy,
  emptyWorkloadStatus,
  MAX_REPLICAS,
  templateOf,
  workloadSpecSchema,
  type WorkloadDefinition,
  type WorkloadRevision,
  type WorkloadSpec,
} from '../types/workload.js';

/**
 * Writes of workloads, shared by the REST API and the MCP server. Every write validates the whole
 * object first and changes nothing when anything is wrong; every update is a compare-and-swap on
 * `resourceVersion`, so two writers never silently overwrite each other.
 */
export class WorkloadService {
  constructor(private readonly store: ClusterStore) {}

  async create(input: unknown): Promise<WorkloadDefinition> {
    const spec = parseOrThrow(workloadSpecSchema, input, 'workload');
    const now = new Date().toISOString();
    const w = definitionFrom(spec, { workloadId: spec.workloadId ?? randomUUID(), generation: 1, templateRevision: 1, createdAt: now, status: emptyWorkloadStatus() });
    const revision: WorkloadRevision & { resourceVersion: string } = { workloadId: w.workloadId, revision: 1, template: templateOf(w), createdAt: now, cause: 'create', resourceVersion: '0' };
    const res = await this.store.commit([
      { op: 'put', key: this.store.workloadNameKey(w.name), value: w.workloadId, ifModRevision: 0 },
      this.store.workloads.create(w),
      this.store.revisions.create(revision),
    ]);
    if (!res.ok) {
      if (res.key === this.store.workloadNameKey(w.name)) throw OrchestrationError.conflict(`workload "${w.name}" already exists`, { field: 'name' });
      throw OrchestrationError.conflict(`workload id ${w.workloadId} already exists`, { field: 'workloadId' });
    }
    w.resourceVersion = String(res.revision);
    return w;
  }

  /**
   * Replaces a workload's spec (`PUT`, `apply`). A changed instance template makes a new revision
   * (and, for a service, a rolling update); a change of replicas alone does not.
   */
  async update(ref: string, input: unknown, cause = 'apply'): Promise<WorkloadDefinition> {
    const spec = parseOrThrow(workloadSpecSchema, input, 'workload');
    const current = await this.store.requireWorkload(ref);
    if (spec.name !== current.name) throw OrchestrationError.invalidInput([{ path: 'name', message: `cannot be changed (is "${current.name}"); create a new workload instead` }], 'workload');
    if (spec.workloadId && spec.workloadId !== current.workloadId) throw OrchestrationError.invalidInput([{ path: 'workloadId', message: 'cannot be changed' }], 'workload');
    if (spec.kind !== current.kind) throw OrchestrationError.invalidInput([{ path: 'kind', message: `cannot be changed (is "${current.kind}")` }], 'workload');
    const expected = spec.resourceVersion ?? current.resourceVersion;
    const next = definitionFrom(spec, {
      workloadId: current.workloadId,
      generation: current.generation,
      templateRevision: current.templateRevision,
      createdAt: current.createdAt,
      status: current.status,
    });
    next.resourceVersion = expected;
    return this.commitChange(current, next, cause);
  }

  /** Sets replicas, retrying on conflict like `kubectl scale` unless the caller pinned a version. */
  async scale(ref: string, replicas: unknown, resourceVersion?: string): Promise<WorkloadDefinition> {
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw OrchestrationError.invalidInput([{ path: 'replicas', message: `must be an integer from 0 to ${MAX_REPLICAS}` }], 'scale request');
    }
    return this.mutate(ref, resourceVersion, (w) => ({ ...w, replicas }), 'scale');
  }

  /** Applies `change` to the stored workload; with `resourceVersion` pinned a stale one is a 409. */
  async mutate(ref: string, resourceVersion: string | undefined, change: (w: WorkloadDefinition) => WorkloadDefinition, cause: string): Promise<WorkloadDefinition> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const current = await this.store.requireWorkload(ref);
      const next = change(structuredClone(current));
      next.resourceVersion = resourceVersion ?? current.resourceVersion;
      try {
        return await this.commitChange(current, next, cause);
      } catch (err) {
        if (resourceVersion !== undefined || !(err instanceof OrchestrationError) || err.code !== 'Conflict') throw err;
      }
    }
    throw OrchestrationError.conflict(`workload "${ref}" kept changing; try again`);
  }

  async delete(ref: string, resourceVersion?: string): Promise<WorkloadDefinition> {
    const w = await this.store.requireWorkload(ref);
    const revisions = await this.store.listRevisions(w.workloadId);
    const ops: WriteOp[] = [
      this.store.workloads.delete(w.workloadId, resourceVersion ?? w.resourceVersion),
      { op: 'delete', key: this.store.workloadNameKey(w.name) },
      ...revisions.map((r) => this.store.revisions.delete(revisionId(r.workloadId, r.revision))),
    ];
    const res = await this.store.commit(ops);
    if (!res.ok) throw OrchestrationError.conflict(`workload "${w.name}" changed since resourceVersion ${resourceVersion ?? w.resourceVersion}; read it again`, { currentResourceVersion: String(res.actual) });
    return w;
  }

  private async commitChange(current: WorkloadDefinition, next: WorkloadDefinition, cause: string): Promise<WorkloadDefinition> {
    const templateChanged = canonicalJson(templateOf(next)) !== canonicalJson(templateOf(current));
    const specChanged = templateChanged || canonicalJson(specPart(next)) !== canonicalJson(specPart(current));
    if (!specChanged && next.resourceVersion === current.resourceVersion) return current;
    next.generation = current.generation + (specChanged ? 1 : 0);
    const ops: WriteOp[] = [];
    if (templateChanged) {
      const revisions = await this.store.listRevisions(current.workloadId);
      const same = revisions.find((r) => canonicalJson(r.template) === canonicalJson(templateOf(next)));
      if (same) {
        // Back to a template the workload had (an undo, or a revert by hand): its instances of that
        // revision are current again, as Kubernetes re-adopts the old ReplicaSet's pods.
        next.templateRevision = same.revision;
      } else {
        const latest = Math.max(0, ...revisions.map((r) => r.revision));
        next.templateRevision = latest + 1;
        // Keep the last REVISION_HISTORY_LIMIT revisions for `rollout history` and `undo`, as Kubernetes does.
        const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
        for (const old of sorted.slice(0, Math.max(0, sorted.length - (REVISION_HISTORY_LIMIT - 1)))) {
          if (old.revision !== current.templateRevision) ops.push(this.store.revisions.delete(revisionId(old.workloadId, old.revision)));
        }
        ops.push(this.store.revisions.create({ workloadId: current.workloadId, revision: next.templateRevision, template: templateOf(next), createdAt: new Date().toISOString(), cause, resourceVersion: '0' }));
      }
    }
    ops.push(this.store.workloads.put(next));
    const res = await this.store.commit(ops);
    if (!res.ok) {
      throw OrchestrationError.conflict(`workload "${current.name}" was changed by someone else (resourceVersion ${next.resourceVersion} is stale, current is ${res.actual}); read it again and retry`, {
        currentResourceVersion: String(res.actual),
      });
    }
    next.resourceVersion = String(res.revision);
    return next;
  }
}

/** JSON with object keys sorted, so equal specs compare equal whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Template revisions kept per workload (Kubernetes' revisionHistoryLimit default). */
export const REVISION_HISTORY_LIMIT = 10;

/** The user-owned part of a workload (what `generation` counts changes of). */
function specPart(w: WorkloadDefinition): Omit<WorkloadDefinition, 'status' | 'resourceVersion' | 'generation' | 'templateRevision' | 'createdAt'> {
  const { status: _s, resourceVersion: _r, generation: _g, templateRevision: _t, createdAt: _c, ...spec } = w;
  return spec;
}

function definitionFrom(
  spec: WorkloadSpec,
  kept: Pick<WorkloadDefinition, 'workloadId' | 'generation' | 'templateRevision' | 'createdAt' | 'status'>,
): WorkloadDefinition {
  const { resourceVersion: _rv, workloadId: _id, generation: _g, templateRevision: _t, createdAt: _c, status: _s, ...rest } = spec;
  const w: WorkloadDefinition = {
    ...rest,
    ...kept,
    restartPolicy: spec.restartPolicy ?? defaultRestartPolicy(spec.kind),
    replicas: spec.kind === 'job' ? (spec.job?.parallelism ?? 1) : spec.replicas,
    resourceVersion: '0',
  };
  if (spec.kind === 'job' && !w.job) w.job = { completions: 1, parallelism: 1, backoffLimit: 6 };
  return w;
}

import { beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../store/cluster-store.js';
import { MemoryStateStore } from '../store/memory-store.js';
import { isOrchestrationError, OrchestrationError } from '../types/errors.js';
import { WorkloadService } from './workload-service.js';

const web = { name: 'web', replicas: 2, containers: [{ name: 'main', image: 'busybox:1.36' }] };
let store: ClusterStore;
let svc: WorkloadService;

beforeEach(() => {
  store = new ClusterStore(new MemoryStateStore());
  svc = new WorkloadService(store);
});

async function rejection(p: Promise<unknown>): Promise<OrchestrationError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OrchestrationError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('WorkloadService', () => {
  it('creates with every default filled in, revision 1 stored, and the name reserved', async () => {
    const w = await svc.create(web);
    expect(w).toMatchObject({ kind: 'service', restartPolicy: 'Always', generation: 1, templateRevision: 1, paused: false, strategy: { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' } });
    expect(w.workloadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.listRevisions(w.workloadId)).toMatchObject([{ revision: 1, cause: 'create', template: { restartPolicy: 'Always' } }]);
    expect((await store.resolveWorkload('web'))?.workloadId).toBe(w.workloadId);
    expect((await rejection(svc.create(web))).code).toBe('Conflict');
  });

  it('gives a job OnFailure and its parallelism as replicas', async () => {
    const job = await svc.create({ name: 'batch', kind: 'job', replicas: 9, job: { completions: 4, parallelism: 3 }, containers: web.containers });
    expect(job).toMatchObject({ restartPolicy: 'OnFailure', replicas: 3, job: { completions: 4, parallelism: 3, backoffLimit: 6 } });
    const defaulted = await svc.create({ name: 'once', kind: 'job', containers: web.containers });
    expect(defaulted.job).toEqual({ completions: 1, parallelism: 1, backoffLimit: 6 });
  });

  it('bumps generation for any spec change but makes a new revision only when the template changes', async () => {
    const w = await svc.create(web);
    const labelled = await svc.update('web', { ...web, labels: { team: 'a' } });
    expect(labelled).toMatchObject({ generation: 2, templateRevision: 1 });
    const same = await svc.update('web', { ...web, labels: { team: 'a' } });
    expect(same.resourceVersion).toBe(labelled.resourceVersion);
    const rolled = await svc.update('web', { ...web, labels: { team: 'a' }, containers: [{ name: 'main', image: 'busybox:1.37' }] }, 'undo');
    expect(rolled).toMatchObject({ generation: 3, templateRevision: 2 });
    expect((await store.listRevisions(w.workloadId)).map((r) => [r.revision, r.cause])).toEqual([[1, 'create'], [2, 'undo']]);
    const graceOnly = await svc.update('web', { ...web, labels: { team: 'a' }, containers: [{ name: 'main', image: 'busybox:1.37' }], terminationGracePeriodSeconds: 5 });
    expect(graceOnly.templateRevision).toBe(3);
  });

  it('refuses to change name, id or kind, naming the field', async () => {
    const w = await svc.create(web);
    const kind = await rejection(svc.update('web', { ...web, kind: 'daemon' }));
    expect(kind.code).toBe('InvalidInput');
    expect(JSON.stringify(kind.details)).toContain('kind');
    const id = await rejection(svc.update('web', { ...web, workloadId: '00000000-0000-4000-8000-000000000000' }));
    expect(JSON.stringify(id.details)).toContain('workloadId');
    expect((await store.requireWorkload(w.workloadId)).generation).toBe(1);
  });

  it('answers Conflict to a stale resourceVersion and keeps the newer write', async () => {
    const w = await svc.create(web);
    await svc.scale('web', 5);
    const stale = await rejection(svc.update('web', { ...web, replicas: 1, resourceVersion: w.resourceVersion }));
    expect(stale.code).toBe('Conflict');
    expect((await rejection(svc.scale('web', 1, w.resourceVersion))).code).toBe('Conflict');
    expect((await rejection(svc.delete('web', w.resourceVersion))).code).toBe('Conflict');
    expect((await store.requireWorkload('web')).replicas).toBe(5);
  });

  it('scales concurrently without losing an update', async () => {
    await svc.create({ ...web, replicas: 0 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => svc.mutate('web', undefined, (w) => ({ ...w, labels: { ...w.labels, [`k${n}`]: 'x' } }), 'label')));
    expect(results).toHaveLength(8);
    const final = await store.requireWorkload('web');
    expect(Object.keys(final.labels).sort()).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']);
    expect(final.generation).toBe(9);
  });

  it('rejects replicas outside 0..10000 on scale', async () => {
    await svc.create(web);
    for (const bad of [-1, 1.5, 10_001, '3']) expect(isOrchestrationError(await rejection(svc.scale('web', bad)), 'InvalidInput')).toBe(true);
    expect((await svc.scale('web', 0)).replicas).toBe(0);
  });

  it('deletes the workload, its name and its revisions', async () => {
    const w = await svc.create(web);
    await svc.update('web', { ...web, containers: [{ name: 'main', image: 'busybox:1.37' }] });
    await svc.delete('web');
    expect(await store.resolveWorkload('web')).toBeUndefined();
    expect(await store.listRevisions(w.workloadId)).toEqual([]);
    expect((await rejection(svc.delete('web'))).code).toBe('NotFound');
    const again = await svc.create(web);
    expect(again.workloadId).not.toBe(w.workloadId);
  });
});

import type { ApiClient } from '../../api/client.js';
import { parseFormat, printStructured, table, UsageError, age } from '../output.js';

/** Follows a rollout until every replica runs the current revision and is available, or it stalls. */
export async function status(c: ApiClient, ref: string, opts: { watch?: boolean; timeout?: string }): Promise<number> {
  const deadline = Date.now() + Number(opts.timeout ?? 600) * 1000;
  let last = '';
  for (;;) {
    const w = await c.getWorkload(ref);
    const s = w.status;
    const progressing = s.conditions.find((x) => x.type === 'Progressing');
    let line: string;
    let done = false;
    let failed = false;
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      line = `error: rollout of "${w.name}" revision ${w.templateRevision} exceeded its progress deadline: ${progressing.message ?? ''}`;
      failed = true;
    } else if (s.observedGeneration < w.generation) line = `Waiting for rollout of "${w.name}" to start...`;
    else if (s.updatedReplicas < w.replicas) line = `Waiting for rollout to finish: ${s.updatedReplicas} of ${w.replicas} updated replicas are running the new revision ${w.templateRevision}...`;
    else if (s.replicas > s.updatedReplicas) line = `Waiting for rollout to finish: ${s.replicas - s.updatedReplicas} old replicas are pending termination...`;
    else if (s.availableReplicas < s.updatedReplicas) line = `Waiting for rollout to finish: ${s.availableReplicas} of ${s.updatedReplicas} updated replicas are available...`;
    else {
      line = `workload "${w.name}" successfully rolled out (revision ${w.templateRevision})`;
      done = true;
    }
    if (w.paused && !done) line += ' (paused)';
    if (line !== last) (failed ? process.stderr : process.stdout).write(line + '\n');
    last = line;
    if (done) return 0;
    if (failed) return 1;
    if (opts.watch === false) return 1;
    if (Date.now() > deadline) {
      process.stderr.write(`error: timed out waiting for the rollout of "${w.name}"\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function history(c: ApiClient, ref: string, opts: { output?: string }): Promise<void> {
  const { items, current } = await c.listRevisions(ref);
  const format = parseFormat(opts.output);
  if (format === 'json' || format === 'yaml') return printStructured(format, { items, current });
  process.stdout.write(
    table(
      ['REVISION', 'CURRENT', 'CAUSE', 'IMAGES', 'AGE'],
      items.map((r) => [String(r.revision), r.revision === current ? '*' : '', r.cause ?? '', r.template.containers.map((x) => x.image).join(','), age(r.createdAt)]),
    ),
  );
}

/** Puts an earlier revision's template back as the workload's template: a new revision, rolled out. */
export async function undo(c: ApiClient, ref: string, opts: { toRevision?: string }): Promise<void> {
  const w = await c.getWorkload(ref);
  const { items } = await c.listRevisions(ref);
  let target;
  if (opts.toRevision !== undefined) {
    if (!/^\d+$/.test(opts.toRevision)) throw new UsageError('--to-revision must be a revision number');
    target = items.find((r) => r.revision === Number(opts.toRevision));
    if (!target) throw new UsageError(`workload "${w.name}" has no revision ${opts.toRevision} (it has ${items.map((r) => r.revision).join(', ')})`);
  } else {
    const older = items.filter((r) => r.revision < w.templateRevision).sort((a, b) => b.revision - a.revision);
    target = older[0];
    if (!target) throw new UsageError(`workload "${w.name}" has no earlier revision to go back to`);
  }
  const { status: _s, generation: _g, templateRevision: _t, createdAt: _c, ...spec } = w;
  const updated = await c.updateWorkload(w.name, { ...spec, containers: target.template.containers, restartPolicy: target.template.restartPolicy, terminationGracePeriodSeconds: target.template.terminationGracePeriodSeconds });
  process.stdout.write(`workload/${w.name} rolled back to revision ${target.revision}${updated.templateRevision !== target.revision ? ` (as revision ${updated.templateRevision})` : ''}\n`);
}

async function setPaused(c: ApiClient, ref: string, paused: boolean): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const w = await c.getWorkload(ref);
    const { status: _s, generation: _g, templateRevision: _t, createdAt: _c, ...spec } = w;
    try {
      await c.updateWorkload(w.name, { ...spec, paused });
      process.stdout.write(`workload/${w.name} ${paused ? 'paused' : 'resumed'}\n`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'Conflict') throw err;
    }
  }
}

export const pause = (c: ApiClient, ref: string) => setPaused(c, ref, true);
export const resume = (c: ApiClient, ref: string) => setPaused(c, ref, false);

import type { ApiClient } from '../../api/client.js';
import { isOrchestrationError } from '../../types/errors.js';
import type { WorkloadInstance } from '../../types/instance.js';
import type { WorkloadDefinition } from '../../types/workload.js';
import { age, describeBlock, parseFormat, printList, printStructured, table, UsageError } from '../output.js';
import { eventsTable, watchTable } from './shared.js';

type Opts = { output?: string; selector?: string; watch?: boolean; file?: string; replicas?: string; resourceVersion?: string; wait?: boolean };

/** The manifest reader pulls in the YAML parser and the schemas: loaded only by the commands that read files. */
async function readManifest(file: string) {
  return (await import('../manifest.js')).loadWorkloadFile(file);
}

export async function create(c: ApiClient, opts: Opts): Promise<number> {
  const docs = await readManifest(opts.file!);
  let failed = 0;
  for (const d of docs) {
    try {
      const w = await c.createWorkload(d.value);
      process.stdout.write(`workload/${w.name} created\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${opts.file}:${d.line}: ${(err as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Create what is new, update what exists (a changed template starts a rollout), like kubectl apply. */
export async function apply(c: ApiClient, opts: Opts): Promise<number> {
  const docs = await readManifest(opts.file!);
  let failed = 0;
  for (const d of docs) {
    const name = (d.value as { name: string }).name;
    try {
      const existing = await c.getWorkload(name).catch((err) => (isOrchestrationError(err, 'NotFound') ? undefined : Promise.reject(err)));
      if (!existing) {
        await c.createWorkload(d.value);
        process.stdout.write(`workload/${name} created\n`);
        continue;
      }
      const updated = await c.updateWorkload(name, d.value);
      const what = updated.templateRevision !== existing.templateRevision ? `configured (revision ${updated.templateRevision}, rolling out)` : updated.generation !== existing.generation ? 'configured' : 'unchanged';
      process.stdout.write(`workload/${name} ${what}\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${opts.file}:${d.line}: ${(err as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

const HEADERS = ['NAME', 'KIND', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
function row(w: WorkloadDefinition): string[] {
  const s = w.status;
  if (w.kind === 'job') return [w.name, w.kind, `${s.succeeded ?? 0}/${w.job?.completions ?? 1}`, '-', '-', age(w.createdAt)];
  const desired = w.kind === 'daemon' ? s.replicas : w.replicas;
  return [w.name, w.kind, `${s.readyReplicas}/${desired}`, String(s.updatedReplicas), String(s.availableReplicas), age(w.createdAt)];
}

export async function list(c: ApiClient, opts: Opts): Promise<void> {
  const format = parseFormat(opts.output);
  const { items, revision } = await c.listWorkloads(opts.selector);
  await printList(format, items, HEADERS, row, (w) => `workload/${w.name}`, {
    headers: [...HEADERS, 'REVISION', 'IMAGES', 'ID'],
    toRow: (w) => [...row(w), String(w.templateRevision), w.containers.map((x) => x.image).join(','), w.workloadId],
  });
  if (opts.watch) await watchTable<WorkloadDefinition>(c, '/api/v1/workloads', revision, {}, (type, w) => table(HEADERS, [type === 'DELETE' ? [w.name, w.kind, 'deleted', '', '', ''] : row(w)]).split('\n')[1] + '\n');
}

export async function get(c: ApiClient, ref: string, opts: Opts): Promise<void> {
  const w = await c.getWorkload(ref);
  const format = parseFormat(opts.output);
  if (format === 'table' || format === 'wide') process.stdout.write(table(HEADERS, [row(w)]));
  else if (format === 'name') process.stdout.write(`workload/${w.name}\n`);
  else await printStructured(format, w);
}

export async function describe(c: ApiClient, ref: string): Promise<void> {
  const w = await c.getWorkload(ref);
  const [{ items: instances }, { items: events }] = await Promise.all([c.listInstances({ workload: w.workloadId }), c.listEvents({ workload: w.workloadId, limit: 25 })]);
  const s = w.status;
  let out = describeBlock([
    ['Name', w.name],
    ['ID', w.workloadId],
    ['Kind', w.kind],
    ['Labels', Object.keys(w.labels).length ? Object.entries(w.labels).map(([k, v]) => `${k}=${v}`) : '<none>'],
    ['Created', `${w.createdAt} (${age(w.createdAt)} ago)`],
    ['Replicas', w.kind === 'job' ? `${s.succeeded ?? 0} succeeded / ${w.job?.completions} completions, ${s.failed ?? 0} failed (parallelism ${w.job?.parallelism}, backoffLimit ${w.job?.backoffLimit})` : `${w.replicas} desired | ${s.updatedReplicas} updated | ${s.replicas} total | ${s.readyReplicas} ready | ${s.availableReplicas} available | ${s.pendingReplicas} pending`],
    ['Revision', `${w.templateRevision}${w.paused ? ' (rollout paused)' : ''}`],
    ['Strategy', w.kind === 'service' ? `${w.strategy.type} (maxSurge ${w.strategy.maxSurge}, maxUnavailable ${w.strategy.maxUnavailable})` : undefined],
    ['Restart policy', w.restartPolicy],
    ['Priority', w.priority],
    ['Node selector', w.nodeSelector ? Object.entries(w.nodeSelector).map(([k, v]) => `${k}=${v}`) : undefined],
    ['Resource version', w.resourceVersion],
  ]);
  out += 'Containers:\n';
  for (const ct of w.containers) {
    out += `  ${ct.name}:\n`;
    out += describeBlock(
      [
        ['Image', ct.image],
        ['Command', ct.command ? ct.command.join(' ') : undefined],
        ['Args', ct.args ? ct.args.join(' ') : undefined],
        ['Requests', ct.resourceRequests ? `cpu ${ct.resourceRequests.cpuMillicores ?? 0}m, memory ${ct.resourceRequests.memoryMb ?? 0}MB` : undefined],
        ['Limits', ct.resourceLimits ? `cpu ${ct.resourceLimits.cpuMillicores ?? '-'}m, memory ${ct.resourceLimits.memoryMb ?? '-'}MB` : undefined],
        ['Ports', ct.portMappings?.map((p) => `${p.containerPort}${p.hostPort ? `->${p.hostPort}` : ''}/${p.protocol ?? 'TCP'}`)],
        ['Liveness', ct.livenessProbe ? probeText(ct.livenessProbe) : undefined],
        ['Readiness', ct.readinessProbe ? probeText(ct.readinessProbe) : undefined],
      ],
      4,
    );
  }
  out += 'Conditions:\n';
  out += s.conditions.length ? table(['  TYPE', 'STATUS', 'REASON', 'MESSAGE'], s.conditions.map((x) => [`  ${x.type}`, x.status, x.reason, x.message])) : '  <none>\n';
  if (s.pendingReason) out += `Pending because: ${s.pendingReason}\n`;
  out += 'Instances:\n';
  out += instances.length ? indent(instanceTable(instances)) : '  <none>\n';
  out += 'Events:\n' + indent(eventsTable(events));
  process.stdout.write(out);
}

function probeText(p: { exec?: { command: string[] }; http?: { path: string; port: number }; tcp?: { port: number }; periodSeconds: number; failureThreshold: number }): string {
  const what = p.exec ? `exec ${p.exec.command.join(' ')}` : p.http ? `http-get :${p.http.port}${p.http.path}` : `tcp :${p.tcp!.port}`;
  return `${what} every ${p.periodSeconds}s, ${p.failureThreshold} failures`;
}

export function instanceTable(items: WorkloadInstance[]): string {
  return table(
    ['NAME', 'STATUS', 'READY', 'RESTARTS', 'NODE', 'REVISION', 'AGE', 'REASON'],
    items.map((i) => [i.name, i.status, i.ready ? 'true' : 'false', String(i.containers.reduce((a, x) => a + x.restartCount, 0)), i.nodeId || '-', String(i.revision), age(i.createdAt), i.message ?? i.reason ?? '']),
  );
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}

export async function remove(c: ApiClient, refs: string[], opts: Opts): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      const w = await c.deleteWorkload(ref);
      process.stdout.write(`workload/${w.name} deleted\n`);
      if (opts.wait) {
        for (;;) {
          const { items } = await c.listInstances().catch(() => ({ items: [] as WorkloadInstance[] }));
          const left = items.filter((i) => i.workloadId === w.workloadId).length;
          if (left === 0) break;
          process.stderr.write(`  waiting for ${left} instance(s) to stop\n`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } catch (err) {
      failed++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

export async function scale(c: ApiClient, ref: string, opts: Opts): Promise<void> {
  if (!/^\d+$/.test(opts.replicas ?? '')) throw new UsageError(`--replicas must be a non-negative integer (got "${opts.replicas}")`);
  const w = await c.scaleWorkload(ref, Number(opts.replicas), opts.resourceVersion);
  process.stdout.write(`workload/${w.name} scaled to ${w.replicas}\n`);
}

export async function explain(c: ApiClient, ref: string, opts: Opts): Promise<void> {
  const result = (await c.explainWorkload(ref)) as { summary?: string; nodes?: Array<{ nodeId: string; nodeName?: string; feasible?: boolean; filter?: string; reason?: string; score?: number }> };
  const format = parseFormat(opts.output);
  if (format === 'json' || format === 'yaml') return printStructured(format, result);
  if (result.summary) process.stdout.write(`${result.summary}\n\n`);
  process.stdout.write(
    table(
      ['NODE', 'FITS', 'SCORE', 'REJECTED BY', 'REASON'],
      (result.nodes ?? []).map((n) => [n.nodeName ?? n.nodeId, n.feasible ? 'yes' : 'no', n.score === undefined ? '-' : String(Math.round(n.score * 100) / 100), n.filter ?? '-', n.reason ?? '-']),
    ),
  );
}

import type { ApiClient } from '../../api/client.js';
import { readExecFrames } from '../../api/exec-frames.js';
import type { WorkloadInstance } from '../../types/instance.js';
import { age, describeBlock, parseFormat, printList, table, UsageError } from '../output.js';
import { eventsTable, watchTable } from './shared.js';

const HEADERS = ['NAME', 'WORKLOAD', 'STATUS', 'READY', 'RESTARTS', 'NODE', 'AGE'];
function row(i: WorkloadInstance): string[] {
  const restarts = i.containers.reduce((a, c) => a + c.restartCount, 0);
  return [i.name, i.workloadName, i.status, i.ready ? 'true' : 'false', String(restarts), i.nodeId || '-', age(i.createdAt)];
}

export async function list(c: ApiClient, opts: { output?: string; workload?: string; node?: string; watch?: boolean }): Promise<void> {
  const { items, revision } = await c.listInstances({ workload: opts.workload, node: opts.node });
  await printList(parseFormat(opts.output), items, HEADERS, row, (i) => `instance/${i.name}`, {
    headers: [...HEADERS, 'REVISION', 'PIDS', 'REASON'],
    toRow: (i) => [...row(i), String(i.revision), i.containers.map((x) => x.pid ?? '-').join(','), i.message ?? i.reason ?? ''],
  });
  if (opts.watch) await watchTable<WorkloadInstance>(c, '/api/v1/instances', revision, { workload: opts.workload, node: opts.node }, (t, i) => table(HEADERS, [t === 'DELETE' ? [i.name, i.workloadName, 'Deleted', '', '', i.nodeId, ''] : row(i)]).split('\n')[1] + '\n');
}

export async function describe(c: ApiClient, ref: string): Promise<void> {
  const i = await c.getInstance(ref);
  const { items: events } = await c.listEvents({ object: i.instanceId, limit: 25 });
  let out = describeBlock([
    ['Name', i.name],
    ['Workload', i.workloadName],
    ['Node', i.nodeId || '<not placed>'],
    ['Status', i.status],
    ['Ready', String(i.ready)],
    ['Reason', i.reason],
    ['Message', i.message],
    ['Revision', i.revision],
    ['Priority', i.priority],
    ['Requests', `cpu ${i.requests.cpuMillicores}m, memory ${i.requests.memoryMb}MB`],
    ['Created', `${i.createdAt} (${age(i.createdAt)} ago)`],
    ['Started', i.startedAt],
    ['Finished', i.finishedAt],
    ['Stop requested', i.deletionRequestedAt],
  ]);
  out += 'Containers:\n';
  for (const ct of i.containers) {
    out += `  ${ct.name}:\n`;
    out += describeBlock(
      [
        ['Container ID', ct.containerId],
        ['State', `${ct.state}${ct.reason ? ` (${ct.reason})` : ''}`],
        ['Message', ct.message],
        ['Exit code', ct.exitCode],
        ['PID', ct.pid],
        ['Started', ct.startedAt],
        ['Finished', ct.finishedAt],
        ['Ready', ct.ready === undefined ? undefined : String(ct.ready)],
        ['Restart count', ct.restartCount],
        ['Next retry', ct.nextRetryAt],
        ['Last termination', ct.lastTermination ? `${ct.lastTermination.reason ?? ''} (exit code ${ct.lastTermination.exitCode ?? 'unknown'}) at ${ct.lastTermination.finishedAt ?? '?'}` : undefined],
      ],
      4,
    );
  }
  if (i.containers.length === 0) out += '  <none yet>\n';
  out += 'Events:\n' + eventsTable(events).replace(/^/gm, '  ');
  process.stdout.write(out.replace(/ +$/gm, ''));
}

export async function logs(c: ApiClient, ref: string, opts: { follow?: boolean; tail?: string; container?: string }): Promise<void> {
  if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new UsageError('--tail must be a non-negative integer');
  const res = await c.stream('GET', `/api/v1/instances/${encodeURIComponent(ref)}/logs`, undefined, { follow: opts.follow ? 'true' : undefined, tail: opts.tail, container: opts.container });
  process.once('SIGINT', () => res.destroy());
  await new Promise<void>((resolve) => {
    res.pipe(process.stdout, { end: false });
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', resolve);
  });
}

/** Runs a command in the container; the exit code of the CLI is the command's. */
export async function exec(c: ApiClient, ref: string, command: string[], opts: { container?: string; tty?: boolean; stdin?: boolean }): Promise<number> {
  if (command.length === 0) throw new UsageError('say what to run: exec INSTANCE -- CMD ARGS');
  // The WebSocket channel (and the ws library) load only for -i/-t.
  if (opts.tty || opts.stdin) return (await import('./exec-interactive.js')).interactiveExec(c, ref, command, opts);
  const res = await c.stream('POST', `/api/v1/instances/${encodeURIComponent(ref)}/exec`, { command, container: opts.container });
  return readExecFrames(res, (stream, data) => (stream === 'stdout' ? process.stdout : process.stderr).write(data));
}

import type { ApiClient } from '../../api/client.js';
import type { Node } from '../../types/node.js';
import { age, describeBlock, parseFormat, printList, table } from '../output.js';
import { eventsTable, watchTable } from './shared.js';
import { instanceTable } from './workload.js';

const HEADERS = ['NAME', 'STATUS', 'RUNTIME', 'CPU', 'MEMORY', 'AGE'];
function status(n: Node): string {
  return n.unschedulable ? `${n.status},SchedulingDisabled` : n.status;
}
function row(n: Node): string[] {
  return [n.name, status(n), n.runtime ?? '-', String(n.allocatable.cpuCores), `${n.allocatable.memoryMb}MB`, age(n.createdAt)];
}

export async function list(c: ApiClient, opts: { output?: string; watch?: boolean }): Promise<void> {
  const { items, revision } = await c.listNodes();
  await printList(parseFormat(opts.output), items, HEADERS, row, (n) => `node/${n.name}`, {
    headers: [...HEADERS, 'LABELS', 'TAINTS', 'ADDRESS', 'LAST HEARTBEAT'],
    toRow: (n) => [...row(n), Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(','), n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(','), n.address ?? '', age(n.lastHeartbeat)],
  });
  if (opts.watch) await watchTable<Node>(c, '/api/v1/nodes', revision, {}, (_t, n) => table(HEADERS, [row(n)]).split('\n')[1] + '\n');
}

export async function describe(c: ApiClient, ref: string): Promise<void> {
  const n = await c.getNode(ref);
  const [{ items: instances }, { items: events }] = await Promise.all([c.listInstances({ node: n.id }), c.listEvents({ object: n.id, limit: 25 })]);
  const live = instances.filter((i) => i.status !== 'Succeeded' && i.status !== 'Failed');
  const cpu = live.reduce((a, i) => a + i.requests.cpuMillicores, 0);
  const mem = live.reduce((a, i) => a + i.requests.memoryMb, 0);
  const pct = (used: number, total: number) => (total > 0 ? `${Math.round((100 * used) / total)}%` : '-');
  let out = describeBlock([
    ['Name', n.name],
    ['ID', n.id],
    ['Status', `${status(n)}${n.statusReason ? ` (${n.statusReason})` : ''}${n.statusSince ? ` since ${n.statusSince}` : ''}`],
    ['Runtime', n.runtime ?? '-'],
    ['Address', n.address ?? '-'],
    ['Labels', Object.entries(n.labels).map(([k, v]) => `${k}=${v}`)],
    ['Taints', n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)],
    ['Last heartbeat', `${n.lastHeartbeat} (${age(n.lastHeartbeat)} ago)`],
    ['Capacity', `cpu ${n.capacity.cpuCores}, memory ${n.capacity.memoryMb}MB, disk ${n.capacity.diskMb}MB`],
    ['Allocatable', `cpu ${n.allocatable.cpuCores}, memory ${n.allocatable.memoryMb}MB, disk ${n.allocatable.diskMb}MB`],
    ['Allocated', `cpu ${cpu}m (${pct(cpu, n.allocatable.cpuCores * 1000)}), memory ${mem}MB (${pct(mem, n.allocatable.memoryMb)}), ${live.length} instance(s)`],
  ]);
  out += 'Instances:\n' + (instances.length ? instanceTable(instances).replace(/^/gm, '  ') : '  <none>\n');
  out += 'Events:\n' + eventsTable(events).replace(/^/gm, '  ');
  process.stdout.write(out.replace(/ +$/gm, ''));
}

export async function cordon(c: ApiClient, ref: string): Promise<void> {
  const n = await c.nodeAction(ref, 'cordon');
  process.stdout.write(`node/${n.name} cordoned\n`);
}

export async function uncordon(c: ApiClient, ref: string): Promise<void> {
  const n = await c.nodeAction(ref, 'uncordon');
  process.stdout.write(`node/${n.name} uncordoned\n`);
}

/** Cordons, then waits while the control plane moves the node's instances away, showing progress. */
export async function drain(c: ApiClient, ref: string, opts: { timeout?: string }): Promise<number> {
  const n = await c.nodeAction(ref, 'drain');
  process.stdout.write(`node/${n.name} cordoned\n`);
  const deadline = Date.now() + Number(opts.timeout ?? 600) * 1000;
  const isDaemon = new Map<string, boolean>();
  let last = -1;
  for (;;) {
    const { items } = await c.listInstances({ node: n.id });
    const movable = [];
    for (const i of items) {
      if (i.status === 'Succeeded' || i.status === 'Failed') continue;
      if (!isDaemon.has(i.workloadId)) isDaemon.set(i.workloadId, (await c.getWorkload(i.workloadId).catch(() => undefined))?.kind === 'daemon');
      if (!isDaemon.get(i.workloadId)) movable.push(i);
    }
    if (movable.length !== last) {
      process.stdout.write(movable.length === 0 ? `node/${n.name} drained\n` : `  ${movable.length} instance(s) left to move: ${movable.map((i) => i.name).join(', ')}\n`);
      last = movable.length;
    }
    if (movable.length === 0) return 0;
    if (Date.now() > deadline) {
      process.stderr.write(`error: drain of node ${n.name} timed out with ${movable.length} instance(s) left\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function token(c: ApiClient, ref: string): Promise<void> {
  const res = await c.request<{ nodeId: string; token: string }>('POST', `/api/v1/nodes/${encodeURIComponent(ref)}/token`);
  process.stdout.write(res.token + '\n');
}

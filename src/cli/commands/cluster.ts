import type { ApiClient } from '../../api/client.js';
import { describeBlock, parseFormat, printStructured } from '../output.js';

type Info = {
  version: string;
  startedAt: string;
  store: { name: string; revision: number };
  leader: { id: string; address?: string; since?: string } | null;
  replicas: Array<{ id: string; address?: string }>;
  nodes: { total: number; byStatus: Record<string, number> };
  workloads: { total: number };
  instances: { total: number; byStatus: Record<string, number> };
  capacity: { readyCpuCores: number; readyMemoryMb: number; requestedCpuMillicores: number; requestedMemoryMb: number };
};

export async function info(c: ApiClient, opts: { output?: string }): Promise<void> {
  const i = await c.clusterInfo() as unknown as Info;
  const format = parseFormat(opts.output);
  if (format === 'json' || format === 'yaml') return printStructured(format, i);
  const counts = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  process.stdout.write(
    `Control plane is running at ${c.server}\n` +
      describeBlock([
        ['Version', i.version],
        ['Started', i.startedAt],
        ['Store', `${i.store.name} (revision ${i.store.revision})`],
        ['Leader', i.leader ? `${i.leader.id}${i.leader.address ? ` at ${i.leader.address}` : ''}${i.leader.since ? ` since ${i.leader.since}` : ''}` : 'none'],
        ['Replicas', i.replicas.map((r) => r.address ?? r.id)],
        ['Nodes', `${i.nodes.total} (${counts(i.nodes.byStatus)})`],
        ['Workloads', i.workloads.total],
        ['Instances', `${i.instances.total} (${counts(i.instances.byStatus)})`],
        ['CPU', `${i.capacity.requestedCpuMillicores}m requested of ${i.capacity.readyCpuCores * 1000}m on Ready nodes`],
        ['Memory', `${i.capacity.requestedMemoryMb}MB requested of ${i.capacity.readyMemoryMb}MB on Ready nodes`],
      ]),
  );
}

export async function health(c: ApiClient): Promise<number> {
  const h = await c.request<{ status: string; store: { name: string; healthy: boolean } }>('GET', '/health').catch((err) => {
    if ((err as { code?: string }).code === 'Unavailable') return { status: 'degraded', store: { name: '?', healthy: false } };
    throw err;
  });
  process.stdout.write(`${h.status === 'ok' ? 'healthy' : 'unhealthy'}: API ${c.server} answers; store ${h.store.name} ${h.store.healthy ? 'healthy' : 'unhealthy'}\n`);
  return h.status === 'ok' ? 0 : 1;
}

/** Streams the cluster's objects to a file, writing it under a temporary name first so a failed backup never looks complete. */
export async function backup(c: ApiClient, file: string): Promise<void> {
  const { createWriteStream, renameSync } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const res = await c.stream('GET', '/api/v1/backup');
  const tmp = `${file}.partial`;
  await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
  renameSync(tmp, file);
  const { readFileSync } = await import('node:fs');
  const header = JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]) as { keys: number; revision: number; store: string };
  process.stdout.write(`saved ${header.keys} keys of the ${header.store} store (revision ${header.revision}) to ${file}\n`);
}

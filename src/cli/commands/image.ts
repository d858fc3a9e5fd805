import type { ApiClient } from '../../api/client.js';
import { readPullFrames } from '../../api/image-transfer.js';
import type { Node } from '../../types/node.js';
import { age, parseFormat, printList, UsageError } from '../output.js';

type Opts = { node?: string; output?: string };

/** The node image commands act on: --node, or the one node whose runtime keeps images. */
async function targetNode(c: ApiClient, opts: Opts): Promise<Node> {
  if (opts.node) return c.getNode(opts.node);
  const { items } = await c.listNodes();
  const withImages = items.filter((n) => n.runtime?.startsWith('oci'));
  if (withImages.length === 1) return withImages[0];
  throw new UsageError(withImages.length === 0 ? 'no node runs the OCI runtime, so none keeps images' : `several nodes keep images (${withImages.map((n) => n.name).join(', ')}): say which with --node`);
}

export async function list(c: ApiClient, opts: Opts): Promise<void> {
  const node = await targetNode(c, opts);
  const { items } = await c.request<{ items: Array<{ ref: string; digest: string; size: number; createdAt: string }> }>('GET', `/api/v1/nodes/${encodeURIComponent(node.id)}/images`);
  await printList(parseFormat(opts.output), items, ['IMAGE', 'DIGEST', 'SIZE', 'AGE'], (i) => [i.ref, i.digest.slice(0, 19), `${(i.size / 2 ** 20).toFixed(1)}MB`, age(i.createdAt)], (i) => i.ref);
}

/** Pulls with progress on stderr, one line per step, as people expect of `docker pull`. */
export async function pull(c: ApiClient, ref: string, opts: Opts): Promise<void> {
  const node = await targetNode(c, opts);
  const res = await c.stream('POST', `/api/v1/nodes/${encodeURIComponent(node.id)}/images/pull`, { ref });
  const image = await readPullFrames(res, (p) => {
    const pct = p.total ? ` ${Math.round((100 * (p.done ?? 0)) / p.total)}%` : '';
    process.stderr.write(`${p.message}${pct}\n`);
  });
  process.stdout.write(`${image.ref} pulled to ${node.name} (${image.digest})\n`);
}

export async function importArchive(c: ApiClient, file: string, opts: Opts): Promise<void> {
  const node = await targetNode(c, opts);
  const { createReadStream, statSync } = await import('node:fs');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`${file}: cannot read it`);
  }
  const { items } = await c.upload<{ items: Array<{ ref: string; digest: string }> }>(`/api/v1/nodes/${encodeURIComponent(node.id)}/images/import`, createReadStream(file), 'application/x-tar', size);
  for (const i of items) process.stdout.write(`${i.ref} imported to ${node.name} (${i.digest})\n`);
}

export async function remove(c: ApiClient, ref: string, opts: Opts): Promise<void> {
  const node = await targetNode(c, opts);
  await c.request('DELETE', `/api/v1/nodes/${encodeURIComponent(node.id)}/images/${encodeURIComponent(ref)}`);
  process.stdout.write(`${ref} removed from ${node.name}\n`);
}

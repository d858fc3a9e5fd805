import { inCommitSizedChunks } from '../store/chunks.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { WriteOp } from '../store/state-store.js';
import { OrchestrationError } from '../types/errors.js';
import { nodeRegistrationSchema, nodeUpdateSchema, type Node } from '../types/node.js';
import { parseOrThrow } from '../types/validation.js';

/** Node writes: registration and heartbeats from agents, cordon/labels/taints from people. */
export class NodeService {
  constructor(private readonly store: ClusterStore) {}

  /** Creates the node record, or refreshes it when the agent comes back (keeping cordon and people's labels). */
  async register(input: unknown): Promise<Node> {
    const reg = parseOrThrow(nodeRegistrationSchema, input, 'node registration');
    const id = reg.id ?? reg.name;
    const now = new Date().toISOString();
    for (let attempt = 0; attempt < 16; attempt++) {
      const existing = await this.store.nodes.get(id);
      // Names are unique: an index key per name, written in the same commit as the node.
      const nameKey = this.store.nodeNameKey(reg.name);
      const owner = await this.store.kv.get(nameKey);
      if (owner && owner.value !== id && (await this.store.nodes.get(owner.value))) {
        throw OrchestrationError.conflict(`node name "${reg.name}" is taken by node ${owner.value}`, { field: 'name' });
      }
      const node: Node = {
        id,
        name: reg.name,
        status: 'Ready',
        capacity: reg.capacity,
        allocatable: reg.allocatable ?? reg.capacity,
        labels: { ...(existing?.labels ?? {}), ...reg.labels, 'orchestrator/node': reg.name },
        taints: reg.taints.length > 0 ? reg.taints : (existing?.taints ?? []),
        address: reg.address,
        unschedulable: existing?.unschedulable ?? false,
        ...(existing?.draining ? { draining: true } : {}),
        runtime: reg.runtime,
        lastHeartbeat: now,
        statusReason: 'agent registered',
        statusSince: existing?.status === 'Ready' ? existing.statusSince : now,
        createdAt: existing?.createdAt ?? now,
        resourceVersion: existing?.resourceVersion ?? '0',
      };
      const ops: WriteOp[] = [this.store.nodes.put(node), { op: 'put', key: nameKey, value: id, ifModRevision: owner?.modRevision ?? 0 }];
      if (existing && existing.name !== reg.name) ops.push({ op: 'delete', key: this.store.nodeNameKey(existing.name) });
      const res = await this.store.commit(ops);
      if (res.ok) return { ...node, resourceVersion: String(res.revision) };
    }
    throw OrchestrationError.conflict(`node ${id} kept changing during registration`);
  }

  /** Records that the agents of `nodeIds` are alive. One commit for the lot; ids not registered are reported back. */
  async heartbeat(nodeIds: string[]): Promise<{ unknown: string[] }> {
    const unknown: string[] = [];
    for (const part of inCommitSizedChunks(this.store.kv, nodeIds)) unknown.push(...(await this.heartbeatChunk(part)).unknown);
    return { unknown };
  }

  private async heartbeatChunk(nodeIds: string[]): Promise<{ unknown: string[] }> {
    const now = new Date().toISOString();
    const unknown: string[] = [];
    let pending = nodeIds;
    for (let attempt = 0; attempt < 8 && pending.length > 0; attempt++) {
      const nodes: Node[] = [];
      for (const id of pending) {
        const n = await this.store.nodes.get(id);
        if (n) nodes.push({ ...n, lastHeartbeat: now });
        else if (attempt === 0) unknown.push(id);
      }
      if (nodes.length === 0) break;
      const res = await this.store.commit(nodes.map((n) => this.store.nodes.put(n)));
      if (res.ok) break;
      // Someone changed one of them (a status write): retry the lot, reading them again.
      pending = nodes.map((n) => n.id);
    }
    return { unknown };
  }

  async update(ref: string, input: unknown): Promise<Node> {
    const change = parseOrThrow(nodeUpdateSchema, input, 'node update');
    const node = await this.store.requireNode(ref);
    if (change.resourceVersion && change.resourceVersion !== node.resourceVersion) {
      throw OrchestrationError.conflict(`node "${node.name}" changed since resourceVersion ${change.resourceVersion}; read it again`);
    }
    const updated = await this.store.update(this.store.nodes, node.id, (n) => ({
      ...n,
      ...(change.labels ? { labels: { ...change.labels, 'orchestrator/node': n.name } } : {}),
      ...(change.taints ? { taints: change.taints } : {}),
      ...(change.unschedulable !== undefined ? { unschedulable: change.unschedulable } : {}),
    }));
    if (!updated) throw OrchestrationError.notFound('node', ref);
    return updated;
  }

  async setSchedulable(ref: string, schedulable: boolean, draining = false): Promise<Node> {
    const node = await this.store.requireNode(ref);
    const updated = await this.store.update(this.store.nodes, node.id, (n) =>
      n.unschedulable === !schedulable && Boolean(n.draining) === draining ? undefined : { ...n, unschedulable: !schedulable, draining: draining || undefined },
    );
    if (!updated) throw OrchestrationError.notFound('node', ref);
    return updated;
  }

  async remove(ref: string): Promise<Node> {
    const node = await this.store.requireNode(ref);
    const res = await this.store.commit([this.store.nodes.delete(node.id), { op: 'delete', key: this.store.nodeNameKey(node.name) }]);
    if (!res.ok) throw OrchestrationError.conflict(`node ${node.id} changed; try again`);
    return node;
  }
}

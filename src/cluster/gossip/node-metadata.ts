import { z } from 'zod';
import { labels } from '../../types/common.js';
import { OrchestrationError } from '../../types/errors.js';
import type { Node, NodeStatus } from '../../types/node.js';
import { taintSchema } from '../../types/placement.js';
import { nodeResourcesSchema } from '../../types/resources.js';
import { parseOrThrow } from '../../types/validation.js';
import type { Member } from './membership.js';
import type { MemberState } from './messages.js';

/**
 * What a member tells the cluster about itself, carried with its membership as JSON text (the
 * protocol itself treats it as opaque bytes, capped at `metaMaxBytes`). Control-plane replicas are
 * members too, with `role: 'control-plane'`; they are not nodes that run instances.
 */
export const nodeMetadataSchema = z.object({
  /** The node's display name (DNS-1123); the member name (node id) when absent. */
  name: z.string().max(63).optional(),
  role: z.enum(['node', 'control-plane']).optional(),
  labels: labels.optional(),
  capacity: nodeResourcesSchema.optional(),
  allocatable: nodeResourcesSchema.optional(),
  /** Where the node's agent serves logs and exec (`http://host:port`). */
  address: z.string().max(2048).optional(),
  runtime: z.string().max(64).optional(),
  taints: z.array(taintSchema).max(64).optional(),
});
export type NodeMetadata = z.infer<typeof nodeMetadataSchema>;

/** Encodes metadata for gossip; throws InvalidInput (with field paths) or TooLarge when it does not fit in `maxBytes`. */
export function encodeNodeMetadata(meta: NodeMetadata, maxBytes: number): string {
  const text = JSON.stringify(parseOrThrow(nodeMetadataSchema, meta, 'node metadata'));
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > maxBytes) throw new OrchestrationError('TooLarge', `node metadata is ${bytes} bytes encoded, the gossip limit is ${maxBytes}`);
  return text;
}

/** Reads a member's metadata; anything unreadable yields `{}` rather than an error, as peers may run other versions. */
export function decodeNodeMetadata(text: string): NodeMetadata {
  try {
    const parsed = nodeMetadataSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

const STATUS: Record<MemberState, NodeStatus> = { alive: 'Ready', suspect: 'NotReady', dead: 'Down', left: 'Down' };
const REASON: Record<MemberState, string> = {
  alive: 'gossip: alive',
  suspect: 'gossip: suspect (probes unanswered, waiting for a refutation)',
  dead: 'gossip: dead (suspicion not refuted in time)',
  left: 'gossip: left the cluster',
};

const NO_CAPACITY = { cpuCores: 0, memoryMb: 0, diskMb: 0 };

/**
 * The Node a member stands for: alive → Ready, suspect → NotReady, dead → Down. `resourceVersion`
 * is the member's incarnation (it rises with every change the member itself makes).
 */
export function memberToNode(member: Member, meta: NodeMetadata, firstSeenMs: number, lastHeardMs: number): Node {
  const capacity = meta.capacity ?? NO_CAPACITY;
  return {
    id: member.name,
    name: meta.name ?? member.name,
    status: STATUS[member.state],
    capacity,
    allocatable: meta.allocatable ?? capacity,
    labels: meta.labels ?? {},
    taints: meta.taints ?? [],
    ...(meta.address ? { address: meta.address } : {}),
    unschedulable: false,
    ...(meta.runtime ? { runtime: meta.runtime } : {}),
    lastHeartbeat: new Date(lastHeardMs).toISOString(),
    statusReason: REASON[member.state],
    statusSince: new Date(member.stateChangedAt).toISOString(),
    resourceVersion: String(member.incarnation),
    createdAt: new Date(firstSeenMs).toISOString(),
  };
}

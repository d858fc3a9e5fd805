import { z } from 'zod';
import { dnsLabel, labels, type ObjectMeta } from './common.js';
import { nodeResourcesSchema, type NodeResources } from './resources.js';
import { taintSchema, type Taint } from './placement.js';

export const NODE_STATUSES = ['Ready', 'NotReady', 'Unknown', 'Down'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** A machine that runs instances. `id` is stable for the node's life; `name` is what people type. */
export interface Node extends ObjectMeta {
  id: string;
  name: string;
  status: NodeStatus;
  capacity: NodeResources;
  /** What instances may use: capacity less what the system keeps for itself. */
  allocatable: NodeResources;
  labels: Record<string, string>;
  taints: Taint[];
  /** Where the node's agent serves logs and exec (`http://host:port`), if it does. */
  address?: string;
  /** Cordoned: Running instances stay, new ones are not placed here. */
  unschedulable: boolean;
  /** Being drained: its instances are moved elsewhere one by one, each new copy Running before the old stops. */
  draining?: boolean;
  /** The runtime the agent drives (`oci`, `process`, `simulated`). */
  runtime?: string;
  lastHeartbeat: string;
  /** Why the node has its status (`heartbeat missed for 40s`, `gossip: dead`). */
  statusReason?: string;
  /** The moment status last changed. */
  statusSince?: string;
}

/** What an agent sends to register (or re-register) its node. */
export const nodeRegistrationSchema = z.strictObject({
  id: z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be letters, digits, ".", "_" or "-"' }).optional(),
  name: dnsLabel,
  capacity: nodeResourcesSchema,
  allocatable: nodeResourcesSchema.optional(),
  labels: labels.default({}),
  taints: z.array(taintSchema).max(64).default([]),
  address: z.string().max(2048).regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http(s) URL' }).optional(),
  runtime: z.string().max(64).optional(),
});
export type NodeRegistration = z.output<typeof nodeRegistrationSchema>;

/** What people may change on a node through the API (labels, taints, cordon). */
export const nodeUpdateSchema = z.strictObject({
  labels: labels.optional(),
  taints: z.array(taintSchema).max(64).optional(),
  unschedulable: z.boolean().optional(),
  resourceVersion: z.string().regex(/^\d+$/).optional(),
});
export type NodeUpdate = z.output<typeof nodeUpdateSchema>;

export function isSchedulable(n: Pick<Node, 'status' | 'unschedulable'>): boolean {
  return n.status === 'Ready' && !n.unschedulable;
}

export type { NodeResources, Taint };

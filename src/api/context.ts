import type { Readable } from 'node:stream';
import type { ExecOptions, ExecSession, LogOptions } from '../runtime/container-runtime.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { EventRecorder } from '../lib/event-recorder.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { InstanceTally } from '../types/instance-tally.js';
import type { Logger } from '../types/logger.js';
import type { Node } from '../types/node.js';
import type { Authenticator } from './auth.js';
import type { InstanceService } from './instance-service.js';
import type { Metrics } from './metrics.js';
import type { NodeService } from './node-service.js';
import type { WorkloadService } from './workload-service.js';

/** A node's image store, as the image commands reach it (the OCI runtime's store). */
export interface NodeImages {
  list(): Promise<Array<{ ref: string; digest: string; size: number; createdAt: string }>>;
  pull(ref: string, options: { onProgress?: (p: { phase: string; message: string; done?: number; total?: number }) => void; signal?: AbortSignal }): Promise<{ ref: string; digest: string }>;
  importArchive(path: string): Promise<Array<{ ref: string; digest: string }>>;
  remove(ref: string): Promise<void>;
}

/**
 * Reaches the agent that runs a node, for what only it can do (logs, exec, its images). In-process
 * agents are called directly; remote ones over HTTP at the node's address.
 */
export interface NodeGateway {
  /** The node's image store, where its runtime has one and the agent is reachable for it. */
  images?(node: Node): NodeImages;
  logs(node: Node, instance: WorkloadInstance, container: string, options: LogOptions): Promise<Readable>;
  exec(node: Node, instance: WorkloadInstance, container: string, command: string[], options: ExecOptions): Promise<ExecSession>;
}

/** What `cluster info` shows beyond counts: who leads, which store, which replicas. */
export interface ControlPlaneInfo {
  version: string;
  store: string;
  startedAt: string;
  leader(): { id: string; address?: string; since?: string } | undefined;
  replicas(): Promise<Array<{ id: string; address?: string }>>;
  /** Orchestrator figures, when this replica runs one. */
  stats?(): Record<string, number>;
  /**
   * The cluster as this replica's watch-fed cache holds it, so `cluster info` need not read (and
   * decode) every instance from the store on each call.
   */
  summary?(): { nodes: Iterable<Node>; workloads: number; instances: InstanceTally } | undefined;
  /** Scheduler explanation of where a workload's next instance could go (`workload explain`). */
  explain?(workloadId: string): Promise<unknown>;
}

export interface ApiContext {
  store: ClusterStore;
  workloads: WorkloadService;
  nodes: NodeService;
  instances: InstanceService;
  auth: Authenticator;
  gateway: NodeGateway;
  metrics: Metrics;
  events: EventRecorder;
  info: ControlPlaneInfo;
  log: Logger;
}

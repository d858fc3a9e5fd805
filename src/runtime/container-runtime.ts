import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../types/container.js';
import type { ContainerStatus } from '../types/instance.js';

export type NodeId = string;
export type ContainerId = string;

/** What the agent tells the runtime beyond the container's config. */
export interface CreateContainerOptions {
  /** Stored with the container and returned by listContainers, so a restarted agent can adopt it. */
  labels: Record<string, string>;
  /** The container's hostname (the instance name). */
  hostname?: string;
  /** Directory for files the container may need (host-side), owned by the runtime. */
  signal?: AbortSignal;
  /** Progress of slow steps (image pulls), for events and the CLI. */
  onProgress?: (p: { phase: string; message: string; done?: number; total?: number }) => void;
}

export interface LogOptions {
  /** Only the last N lines. */
  tail?: number;
  /** Keep the stream open and send new output as it comes. */
  follow?: boolean;
  signal?: AbortSignal;
}

export interface ExecOptions {
  tty?: boolean;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** A running exec: its output streams, its input, and its exit code once it ends. */
export interface ExecSession {
  stdout: Readable;
  stderr: Readable;
  stdin?: NodeJS.WritableStream;
  resize?(cols: number, rows: number): void;
  exitCode: Promise<number>;
}

/** What a runtime can do, so the agent and API can say "not supported" instead of failing late. */
export interface RuntimeCapabilities {
  exec: boolean;
  /** Containers survive the agent's restart and can be adopted. */
  survivesAgentRestart: boolean;
  /** Resource limits are enforced (cgroups), not only counted. */
  enforcesLimits: boolean;
  images: boolean;
}

/**
 * The seed's ContainerRuntime, node-aware so that one runtime object can serve many nodes (the
 * simulated runtime serves thousands in one process). Implementations: process, simulated, oci.
 *
 * Contract:
 * - createContainer creates and starts; it resolves once the container's process has been started
 *   (not when it is healthy). Creating an id that exists is an error (RuntimeError).
 * - stopContainer sends SIGTERM, then SIGKILL after `gracePeriodMs`; it is idempotent.
 * - removeContainer stops if needed and frees everything (state, logs, mounts); idempotent.
 * - getContainerStatus and listContainers never start or stop anything.
 * - Exit codes are recorded even when the container ends while nobody is watching, where the runtime
 *   can (see capabilities).
 */
export interface ContainerRuntime {
  readonly name: string;
  readonly capabilities: RuntimeCapabilities;
  initNode(nodeId: NodeId): Promise<void>;
  createContainer(nodeId: NodeId, containerId: ContainerId, config: ContainerConfig, options: CreateContainerOptions): Promise<ContainerId>;
  stopContainer(nodeId: NodeId, containerId: ContainerId, gracePeriodMs?: number): Promise<void>;
  removeContainer(nodeId: NodeId, containerId: ContainerId): Promise<void>;
  getContainerStatus(nodeId: NodeId, containerId: ContainerId): Promise<ContainerStatus>;
  listContainers(nodeId: NodeId): Promise<ContainerStatus[]>;
  /** The container's combined stdout/stderr. */
  logs(nodeId: NodeId, containerId: ContainerId, options: LogOptions): Promise<Readable>;
  exec?(nodeId: NodeId, containerId: ContainerId, command: string[], options: ExecOptions): Promise<ExecSession>;
  /** Called when a container's process exits, for runtimes that learn it at once. */
  onExit?(listener: (nodeId: NodeId, containerId: ContainerId) => void): void;
  close?(): Promise<void>;
}

/** Labels every runtime stores with a container. */
export const CONTAINER_LABELS = {
  instance: 'orchestrator.instance',
  workload: 'orchestrator.workload',
  container: 'orchestrator.container',
  revision: 'orchestrator.revision',
} as const;

/** The runtime's id for container `name` of instance `instanceId`. Valid for runc (`[\w+-.]`). */
export function containerIdFor(instanceId: string, containerName: string): ContainerId {
  return `${instanceId}.${containerName}`;
}

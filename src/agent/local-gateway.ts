import type { Readable } from 'node:stream';
import type { NodeGateway, NodeImages } from '../api/context.js';
import type { ExecOptions, ExecSession, LogOptions } from '../runtime/container-runtime.js';
import { OrchestrationError } from '../types/errors.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';
import type { Agent } from './agent.js';

/**
 * Logs, exec and images for nodes whose agent runs in this process (the single-machine cluster,
 * simulated pools); other nodes are reached by `fallback` (HTTP to the node's agent).
 */
export class LocalGateway implements NodeGateway {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly fallback?: NodeGateway) {}

  add(agent: Agent): void {
    for (const id of agent.nodes) this.agents.set(id, agent);
  }

  images(node: Node): NodeImages {
    const agent = this.agents.get(node.id);
    if (!agent && this.fallback?.images) return this.fallback.images(node);
    if (!agent) throw new OrchestrationError('ClusterError', `node ${node.name} has no reachable agent for images`);
    if (agent.images) return agent.images;
    throw new OrchestrationError('InvalidInput', `node ${node.name} keeps no images: its runtime is ${node.runtime ?? 'unknown'}, and only the OCI runtime has an image store`);
  }

  logs(node: Node, instance: WorkloadInstance, container: string, options: LogOptions): Promise<Readable> {
    const agent = this.agents.get(node.id);
    if (agent) return agent.logs(instance.instanceId, container, options);
    if (this.fallback) return this.fallback.logs(node, instance, container, options);
    throw new OrchestrationError('ClusterError', `node ${node.name} has no reachable agent for logs`);
  }

  exec(node: Node, instance: WorkloadInstance, container: string, command: string[], options: ExecOptions): Promise<ExecSession> {
    const agent = this.agents.get(node.id);
    if (agent) return agent.exec(instance.instanceId, container, command, options);
    if (this.fallback) return this.fallback.exec(node, instance, container, command, options);
    throw new OrchestrationError('ClusterError', `node ${node.name} has no reachable agent for exec`);
  }
}

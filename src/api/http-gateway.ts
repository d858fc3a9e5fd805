import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ApiClient } from './client.js';
import { execSessionOver, execStreamQuery } from './exec-channel.js';
import type { NodeGateway, NodeImages } from './context.js';
import { readPullFrames } from './image-transfer.js';
import type { ExecOptions, ExecSession, LogOptions } from '../runtime/container-runtime.js';
import { OrchestrationError } from '../types/errors.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';

/** Logs, exec and images of remote nodes, through the agent's HTTP server at the node's address. */
export class HttpGateway implements NodeGateway {
  constructor(private readonly token: string) {}

  async logs(node: Node, instance: WorkloadInstance, container: string, options: LogOptions): Promise<Readable> {
    const res = await this.client(node).stream('GET', `/v1/instances/${encodeURIComponent(instance.instanceId)}/logs`, undefined, {
      container,
      tail: options.tail,
      follow: options.follow ? 'true' : undefined,
    });
    options.signal?.addEventListener('abort', () => res.destroy());
    return res;
  }

  /** Over the agent's WebSocket (exec-channel.ts), input always open: the caller ends it when it has none. */
  async exec(node: Node, instance: WorkloadInstance, container: string, command: string[], options: ExecOptions): Promise<ExecSession> {
    const query = execStreamQuery({ command, container, tty: options.tty ?? false, stdin: true });
    const socket = await this.client(node).connect(`/v1/instances/${encodeURIComponent(instance.instanceId)}/exec/stream`, query);
    options.signal?.addEventListener('abort', () => socket.close(), { once: true });
    return execSessionOver(socket);
  }

  /** The agent's image endpoints (agent/image-endpoints.ts); pull progress and archives stream through. */
  images(node: Node): NodeImages {
    const client = this.client(node);
    return {
      list: async () => (await client.request<{ items: Awaited<ReturnType<NodeImages['list']>> }>('GET', '/v1/images')).items,
      pull: async (ref, options) => {
        const res = await client.stream('POST', '/v1/images/pull', { ref });
        options.signal?.addEventListener('abort', () => res.destroy(), { once: true });
        return readPullFrames(res, options.onProgress);
      },
      importArchive: async (path) => {
        const { size } = await stat(path);
        return (await client.upload<{ items: Awaited<ReturnType<NodeImages['importArchive']>> }>('/v1/images/import', createReadStream(path), 'application/x-tar', size)).items;
      },
      remove: async (ref) => {
        await client.request('DELETE', `/v1/images/${encodeURIComponent(ref)}`);
      },
    };
  }

  private client(node: Node): ApiClient {
    if (!node.address) throw new OrchestrationError('ClusterError', `node ${node.name} did not say where its agent listens`);
    return new ApiClient({ server: node.address, token: this.token });
  }
}

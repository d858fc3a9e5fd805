import { Readable } from 'node:stream';
import { ApiClient } from './client.js';
import type { NodeGateway } from './context.js';
import type { ExecOptions, ExecSession, LogOptions } from '../runtime/container-runtime.js';
import { OrchestrationError } from '../types/errors.js';
import type { WorkloadInstance } from '../types/instance.js';
import type { Node } from '../types/node.js';

/** Logs and exec of remote nodes, through the agent's HTTP server at the node's address. */
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

  async exec(node: Node, instance: WorkloadInstance, container: string, command: string[], options: ExecOptions): Promise<ExecSession> {
    const res = await this.client(node).stream('POST', `/v1/instances/${encodeURIComponent(instance.instanceId)}/exec`, { command, container });
    options.signal?.addEventListener('abort', () => res.destroy());
    const stdout = new Readable({ read() {} });
    const stderr = new Readable({ read() {} });
    const exitCode = new Promise<number>((resolve) => {
      let buf = '';
      let code = 1;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let idx: number;
        while ((idx = buf.indexOf('\n')) >= 0) {
          const frame = JSON.parse(buf.slice(0, idx)) as { stream?: string; data?: string; exitCode?: number };
          buf = buf.slice(idx + 1);
          if (frame.stream === 'stdout') stdout.push(Buffer.from(frame.data!, 'base64'));
          else if (frame.stream === 'stderr') stderr.push(Buffer.from(frame.data!, 'base64'));
          else if (frame.exitCode !== undefined) code = frame.exitCode;
        }
      });
      const done = () => {
        stdout.push(null);
        stderr.push(null);
        resolve(code);
      };
      res.on('end', done);
      res.on('error', done);
    });
    return { stdout, stderr, exitCode };
  }

  private client(node: Node): ApiClient {
    if (!node.address) throw new OrchestrationError('ClusterError', `node ${node.name} did not say where its agent listens`);
    return new ApiClient({ server: node.address, token: this.token });
  }
}

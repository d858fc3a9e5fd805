#!/usr/bin/env node
/**
 * orchestrator-agent: a node agent for a machine that joins a cluster. It registers its node,
 * runs the instances bound to it, serves their logs and exec and the node's images, and — with
 * --join — takes part in gossip so the control plane learns of its death in seconds.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import pino from 'pino';
import { Agent } from '../agent/agent.js';
import { AgentServer } from '../agent/agent-server.js';
import { ApiClient } from '../api/client.js';
import { openRuntime } from './runtime-wiring.js';
import type { Logger } from '../types/logger.js';
import type { NodeRegistration } from '../types/node.js';
import type { NodeResources } from '../types/resources.js';
import { VERSION } from './control-plane.js';
import { allocatableOf, measureCapacity } from './machine.js';
import { defaultNodeName, parseLabels, parseListen } from './options.js';

const program = new Command('orchestrator-agent')
  .description('Node agent: runs the instances the control plane binds to this node.')
  .version(VERSION)
  .addOption(new Option('--server <url>', 'the control plane API').env('ORCHESTRATOR_SERVER').makeOptionMandatory())
  .addOption(new Option('--token <token>', 'this node\'s agent token (orchestrator-cli node token NAME), or the admin token').env('ORCHESTRATOR_TOKEN').makeOptionMandatory())
  .addOption(new Option('--name <name>', 'node name (DNS label); default: the hostname').env('ORCHESTRATOR_NAME'))
  .addOption(new Option('--runtime <name>', 'oci, process or simulated; default: oci where runc works, else process').env('ORCHESTRATOR_RUNTIME').default('auto'))
  .addOption(new Option('--data-dir <dir>', 'container state and logs').env('ORCHESTRATOR_DATA_DIR').default('./agent-data'))
  .addOption(new Option('--labels <k=v,...>', 'node labels').env('ORCHESTRATOR_LABELS'))
  .addOption(new Option('--capacity <cpu=N,memory=MB,disk=MB>', 'advertise this size instead of measuring the machine').env('ORCHESTRATOR_CAPACITY'))
  .addOption(new Option('--listen <host:port>', 'where logs, exec and images are served to the control plane').env('ORCHESTRATOR_LISTEN').default('127.0.0.1:0'))
  .addOption(new Option('--advertise <url>', 'the URL the control plane reaches --listen at (default: derived from --listen)').env('ORCHESTRATOR_ADVERTISE'))
  .addOption(new Option('--join <host:port,...>', 'gossip seeds: the control plane\'s or other agents\' gossip addresses').env('ORCHESTRATOR_JOIN'))
  .addOption(new Option('--gossip-listen <host:port>', 'where this agent gossips (UDP and TCP)').env('ORCHESTRATOR_GOSSIP_LISTEN').default('127.0.0.1:0'))
  .addOption(new Option('--gossip-profile <name>', 'lan, wan or local').env('ORCHESTRATOR_GOSSIP_PROFILE').default('lan'))
  .addOption(new Option('--simulate-nodes <n>', 'benchmarks: run N simulated nodes named NAME-0000… in this one process (needs --runtime simulated)').env('ORCHESTRATOR_SIMULATE_NODES'))
  .addOption(new Option('--heartbeat-ms <ms>', 'how often to tell the control plane the node is alive').env('ORCHESTRATOR_HEARTBEAT_MS').default('5000'))
  .addOption(new Option('--concurrency <n>', 'instances synced at once').env('ORCHESTRATOR_CONCURRENCY').default('4'))
  .addOption(new Option('--log-level <level>', 'debug, info, warn, error').env('ORCHESTRATOR_LOG_LEVEL').default('info'))
  .action(main);

async function main(o: Record<string, string>): Promise<void> {
  const log = pino({ level: o.logLevel, base: { service: 'orchestrator-agent' } }, pino.destination(2)) as unknown as Logger;
  const dataDir = resolve(o.dataDir);
  const { runtime, images } = await openRuntime(o.runtime, dataDir, log);
  const runtimeName = runtime.name;
  const name = o.name ?? defaultNodeName();
  const capacity = o.capacity ? parseCapacity(o.capacity) : measureCapacity(dataDir);
  const labels = parseLabels(o.labels ? [o.labels] : []);
  const count = o.simulateNodes ? Number(o.simulateNodes) : 0;
  if (count > 0 && runtimeName !== 'simulated') throw new Error('--simulate-nodes needs --runtime simulated');
  const nodes: Array<NodeRegistration & { id: string }> =
    count > 0
      ? Array.from({ length: count }, (_, k) => {
          const id = `${name}-${String(k).padStart(4, '0')}`;
          return { id, name: id, capacity, allocatable: capacity, labels: { ...labels }, taints: [], runtime: runtimeName };
        })
      : [{ id: name, name, capacity, allocatable: allocatableOf(capacity), labels, taints: [], runtime: runtimeName }];

  const client = new ApiClient({ server: o.server, token: o.token });
  const agent = new Agent({ client, runtime, nodes, log, heartbeatMs: Number(o.heartbeatMs), concurrency: Number(o.concurrency), images });
  const server = new AgentServer(agent, o.server, log.child({ component: 'agent-server' }));
  const listen = parseListen(o.listen);
  const url = await server.listen(listen.host, listen.port);
  const address = o.advertise ?? url;
  for (const n of nodes) n.address = address;

  let gossip: { shutdown(): Promise<void>; address?: string } | undefined;
  if (o.join && count === 0) {
    const { GossipClusterManager } = await import('../cluster/gossip/index.js');
    const g = new GossipClusterManager({
      name,
      bindAddr: o.gossipListen,
      seeds: o.join.split(',').map((s) => s.trim()).filter(Boolean),
      profile: o.gossipProfile as 'lan',
      metadata: { name, role: 'node', labels, capacity, address, runtime: runtimeName },
      logger: log,
    });
    await g.initialize();
    gossip = g;
  }

  await agent.start();
  process.stderr.write(`orchestrator-agent ${VERSION}: node ${count > 0 ? `${nodes[0].name}…${nodes[nodes.length - 1].name} (${count} simulated)` : name} on ${o.server}, runtime ${runtime.name}, serving ${address}${gossip ? `, gossip ${gossip.address}` : ''}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'agent stopping; containers keep running');
    await gossip?.shutdown().catch(() => {});
    await agent.stop();
    await server.close();
    await runtime.close?.();
    client.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function parseCapacity(text: string): NodeResources {
  const kv = parseLabels([text], '--capacity');
  const num = (k: string, fallback?: number) => {
    const v = kv[k] ?? (fallback === undefined ? undefined : String(fallback));
    if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`--capacity: ${k} must be a number (cpu=2,memory=4096,disk=20000)`);
    return Number(v);
  };
  return { cpuCores: num('cpu'), memoryMb: num('memory'), diskMb: num('disk', 10_000) };
}

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`orchestrator-agent: ${err.message}\n`);
  process.exit(1);
});

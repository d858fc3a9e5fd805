import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../agent/agent.js';
import { LocalGateway } from '../agent/local-gateway.js';
import { Authenticator, ensureAdminToken } from '../api/auth.js';
import { ApiClient } from '../api/client.js';
import type { ControlPlaneInfo, NodeGateway, NodeImages } from '../api/context.js';
import { HttpGateway } from '../api/http-gateway.js';
import { InstanceService } from '../api/instance-service.js';
import { Metrics } from '../api/metrics.js';
import { NodeService } from '../api/node-service.js';
import { buildApiServer } from '../api/server.js';
import { WorkloadService } from '../api/workload-service.js';
import type { ClusterManager } from '../cluster/cluster-manager.js';
import { LocalLeaderElector, type LeaderElector } from '../cluster/leader/index.js';
import { StoreClusterManager, type HeartbeatTimeouts } from '../cluster/store-cluster-manager.js';
import { LayeredClusterManager } from '../cluster/layered-cluster-manager.js';
import { Orchestrator } from '../core/orchestrator.js';
import { EventRecorder } from '../lib/event-recorder.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { createScheduler, explainPlacement, type SchedulerName } from '../scheduler/index.js';
import { OrchestrationError } from '../types/errors.js';
import { ClusterStore } from '../store/cluster-store.js';
import { storeEventSink } from '../store/event-log.js';
import type { StateStore } from '../store/state-store.js';
import type { Logger } from '../types/logger.js';
import type { NodeRegistration } from '../types/node.js';
import { registerMetrics } from './metrics-wiring.js';

export const VERSION = '0.1.0';

export interface ControlPlaneOptions {
  dataDir: string;
  /** The admin token; replicas of one cluster share it. Default: the data dir's, made at first start. */
  adminToken?: string;
  host: string;
  port: number;
  store: StateStore;
  log: Logger;
  scheduler?: SchedulerName;
  /** Runs the local node's agent in this process with this runtime (the single-machine cluster). */
  localAgent?: { runtime: ContainerRuntime; node: NodeRegistration & { id: string }; concurrency?: number; images?: NodeImages };
  /** Builds this replica's leader elector once its URL is known (default: always leader). */
  elector?: (url: string) => LeaderElector;
  clusterManager?: (store: ClusterStore) => ClusterManager;
  heartbeatTimeouts?: HeartbeatTimeouts;
  /** Reaches agents on other machines (logs, exec); set by the multi-node wiring. */
  remoteGateway?: NodeGateway;
  bodyLimit?: number;
  resyncIntervalMs?: number;
  /** Take part in SWIM gossip: agents that join are watched by it (deaths noticed in seconds). */
  gossip?: { bindAddr: string; seeds: string[]; profile?: 'lan' | 'wan' | 'local'; advertiseAddr?: string };
}

export interface ControlPlane {
  url: string;
  /** The gossip address agents `--join`, when gossip is on. */
  gossipAddress?: string;
  adminToken: string;
  app: FastifyInstance;
  store: ClusterStore;
  orchestrator: Orchestrator;
  elector: LeaderElector;
  agent?: Agent;
  gateway: LocalGateway;
  events: EventRecorder;
  stop(): Promise<void>;
}

/**
 * Assembles and starts a control plane: store, scheduler, orchestrator, API, and — for a single
 * machine — the local node's agent. The one place concrete parts meet (with `bin/`).
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = o.log;
  const store = new ClusterStore(o.store);
  const adminToken = ensureAdminToken(dataDir, o.adminToken);
  const events = new EventRecorder(storeEventSink(store), log.child({ component: 'events' }));
  const scheduler = createScheduler(o.scheduler ?? 'default');
  const heartbeats = new StoreClusterManager(store, log.child({ component: 'membership' }), o.heartbeatTimeouts);
  const startedAt = new Date().toISOString();
  let url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  let gossipMember: { address?: string } | undefined;
  let clusterManager: ClusterManager = o.clusterManager?.(store) ?? heartbeats;
  if (o.gossip && !o.clusterManager) {
    const { GossipClusterManager } = await import('../cluster/gossip/index.js');
    const g = new GossipClusterManager({
      name: `control-plane-${o.host}-${o.port}-${process.pid}`,
      bindAddr: o.gossip.bindAddr,
      advertiseAddr: o.gossip.advertiseAddr,
      seeds: o.gossip.seeds,
      profile: o.gossip.profile ?? 'lan',
      metadata: { role: 'control-plane', address: url },
      logger: log,
    });
    gossipMember = g;
    clusterManager = new LayeredClusterManager(g, heartbeats);
  }
  // Made once the URL is known (after listen); nothing reads it before then.
  let elector!: LeaderElector;
  const leadership = { isLeader: () => elector.isLeader(), guard: () => elector.guard() };
  const orchestrator = new Orchestrator({ store, scheduler, clusterManager, events, log, leadership, resyncIntervalMs: o.resyncIntervalMs });
  const gateway = new LocalGateway(o.remoteGateway ?? new HttpGateway(adminToken));
  const metrics = new Metrics();
  const info: ControlPlaneInfo = {
    version: VERSION,
    store: o.store.name,
    startedAt,
    leader: () => elector.leaderInfo(),
    replicas: () => elector.replicas(),
    stats: () => ({ ...orchestrator.stats(), leader: elector.isLeader() ? 1 : 0 }),
    // Until the cache has listed the store (the first moments after start), the store is asked.
    summary: () => (orchestrator.cache.instances.hasSynced ? { nodes: orchestrator.cache.nodes.values(), workloads: orchestrator.cache.workloads.size, instances: orchestrator.cache.tally } : undefined),
    explain: async (workloadId) => {
      const request = orchestrator.scheduleRequestFor(workloadId);
      if (!request) throw OrchestrationError.notFound('workload', workloadId);
      return explainPlacement(request, orchestrator.cache.scheduling);
    },
  };
  const app = buildApiServer(
    { store, workloads: new WorkloadService(store), nodes: new NodeService(store), instances: new InstanceService(store, orchestrator.cache.instances), auth: new Authenticator(adminToken, store), gateway, metrics, events, info, log: log.child({ component: 'api' }) },
    { bodyLimit: o.bodyLimit },
  );
  registerMetrics(metrics, orchestrator, o.store);

  // Listen first: every replica serves the API, leader or not, and the elector wants our URL.
  const address = await app.listen({ host: o.host, port: o.port });
  url = address.replace('0.0.0.0', '127.0.0.1');
  elector = o.elector ? o.elector(url) : new LocalLeaderElector(url, url);
  await elector.start();
  // Every replica keeps its cache (for explain and stats); only the leader's reconciles write.
  await orchestrator.start();
  elector.onChange((leading) => {
    log.info({ leading, leader: elector.leaderInfo()?.id }, leading ? 'became leader' : 'not leader');
    if (leading) for (const id of orchestrator.cache.workloadIds()) orchestrator.enqueue(id);
  });

  let agent: Agent | undefined;
  let client: ApiClient | undefined;
  if (o.localAgent) {
    client = new ApiClient({ server: url, token: adminToken });
    agent = new Agent({ client, runtime: o.localAgent.runtime, nodes: [{ ...o.localAgent.node, address: url }], log, concurrency: o.localAgent.concurrency, images: o.localAgent.images });
    gateway.add(agent);
    await agent.start();
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // The agent stops watching but leaves containers running: they are adopted on the next start.
      await agent?.stop();
      client?.close();
      await orchestrator.stop();
      await elector.stop().catch(() => {});
      await app.close();
      await events.flush();
      await o.localAgent?.runtime.close?.();
      await o.store.close();
    })());

  return { url, gossipAddress: gossipMember?.address, adminToken, app, store, orchestrator, elector, agent, gateway, events, stop };
}

export function defaultDataDir(): string {
  return join(process.cwd(), 'data');
}

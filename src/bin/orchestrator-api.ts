#!/usr/bin/env node
/**
 * orchestrator-api: the control plane. With no flags, a whole single-machine cluster: API on
 * 127.0.0.1:8080, SQLite state under ./data, and this machine as its one node, running containers
 * with runc when it can (root and runc present) and as plain processes otherwise.
 */
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import v8 from 'node:v8';
import pino from 'pino';
import { openRuntime } from './runtime-wiring.js';
import type { StateStore } from '../store/state-store.js';
import type { Logger } from '../types/logger.js';
import { startControlPlane, VERSION } from './control-plane.js';
import { allocatableOf, measureCapacity } from './machine.js';
import { defaultNodeName, envFor, parseLabels, parseListen } from './options.js';

const program = new Command('orchestrator-api')
  .description('Control plane of the orchestrator; with no flags, a whole single-machine cluster.')
  .version(VERSION)
  // `restore` has flags of the same names as the server's: each takes the ones after its name.
  .enablePositionalOptions()
  .addOption(new Option('--listen <host:port>', 'where the API listens').env('ORCHESTRATOR_LISTEN').default('127.0.0.1:8080'))
  .addOption(new Option('--data-dir <dir>', 'state, tokens and the local node\'s containers').env('ORCHESTRATOR_DATA_DIR').default('./data'))
  .addOption(new Option('--store <url>', 'sqlite (default, file in the data dir), sqlite:PATH, memory, or etcd://h1:2379,h2:2379').env('ORCHESTRATOR_STORE').default('sqlite'))
  .addOption(new Option('--runtime <name>', 'the local node\'s runtime: auto, oci, process, simulated, or none (no local node)').env('ORCHESTRATOR_RUNTIME').default('auto'))
  .addOption(new Option('--scheduler <name>', 'default, resource-aware or round-robin').env('ORCHESTRATOR_SCHEDULER').default('default'))
  .addOption(new Option('--node-name <name>', 'name of the local node').env('ORCHESTRATOR_NODE_NAME'))
  .addOption(new Option('--labels <k=v,...>', 'labels of the local node').env('ORCHESTRATOR_LABELS'))
  .addOption(new Option('--gossip-listen <host:port>', 'take part in SWIM gossip on this address (agents --join it)').env('ORCHESTRATOR_GOSSIP_LISTEN'))
  .addOption(new Option('--join <host:port,...>', 'gossip seeds (other control-plane replicas or agents)').env('ORCHESTRATOR_JOIN'))
  .addOption(new Option('--gossip-profile <name>', 'lan, wan or local').env('ORCHESTRATOR_GOSSIP_PROFILE').default('lan'))
  .addOption(new Option('--token <token>', 'admin token (replicas of one cluster share it); default: made at first start in the data dir').env('ORCHESTRATOR_TOKEN'))
  .addOption(new Option('--lease-ttl <seconds>', 'with etcd: leader lease TTL; a dead leader is replaced within about this long').env('ORCHESTRATOR_LEASE_TTL').default('4'))
  .addOption(new Option('--concurrency <n>', 'instances the local node starts or stops at once').env('ORCHESTRATOR_CONCURRENCY').default('4'))
  .addOption(new Option('--log-level <level>', 'debug, info, warn, error').env('ORCHESTRATOR_LOG_LEVEL').default('info'))
  .addOption(new Option('--heap-headroom <percent>', 'how far the JS heap may grow past what it holds before a full GC (0: V8 decides, up to 4x); lower keeps memory near the live size for a little CPU').env('ORCHESTRATOR_HEAP_HEADROOM').default('40'))
  .addOption(new Option('--sqlite-sync <mode>', 'full (fsync each commit) or normal (survives process crashes only)').env('ORCHESTRATOR_SQLITE_SYNC').default('full'))
  .action(main);

program
  .command('restore <file>')
  .description('Load a backup (orchestrator-cli cluster backup FILE) into an empty store; also moves a SQLite cluster to etcd')
  .addOption(new Option('--data-dir <dir>', 'data dir of the target (for the sqlite store)').env('ORCHESTRATOR_DATA_DIR').default('./data'))
  .addOption(new Option('--store <url>', 'target store: sqlite, sqlite:PATH or etcd://…').env('ORCHESTRATOR_STORE').default('sqlite'))
  .option('--force', 'overwrite keys the target already has')
  .action(async (file: string, o: Record<string, string | boolean>) => {
    const log = pino({ level: 'warn' }, pino.destination(2)) as unknown as Logger;
    const { readFileSync } = await import('node:fs');
    const { restoreBackup } = await import('../store/backup.js');
    const dataDir = resolve(o.dataDir as string);
    const store = await openStore(o.store as string, dataDir, 'full', log);
    try {
      const { keys, header } = await restoreBackup(store, readFileSync(file, 'utf8'), { force: Boolean(o.force) });
      process.stderr.write(`restored ${keys} keys (from a ${header.store} backup at revision ${header.revision}, ${header.createdAt}) into ${store.name}\n`);
    } finally {
      await store.close();
    }
  });

async function main(opts: Record<string, string>): Promise<void> {
  const log = pino({ level: opts.logLevel, base: { service: 'orchestrator-api' } }, pino.destination(2)) as unknown as Logger;
  limitHeapGrowth(opts.heapHeadroom);
  const { host, port } = parseListen(opts.listen);
  const dataDir = resolve(opts.dataDir);
  const store = await openStore(opts.store, dataDir, opts.sqliteSync === 'normal' ? 'normal' : 'full', log);

  let localAgent;
  if (opts.runtime !== 'none') {
    const { runtime, images } = await openRuntime(opts.runtime, dataDir, log);
    const name = opts.nodeName ?? envFor('node-name') ?? defaultNodeName();
    const capacity = measureCapacity(dataDir);
    localAgent = {
      runtime,
      images,
      concurrency: Number(opts.concurrency),
      node: { id: name, name, capacity, allocatable: allocatableOf(capacity), labels: parseLabels(opts.labels ? [opts.labels] : []), taints: [], runtime: runtime.name },
    };
  }

  const gossip = opts.gossipListen
    ? { bindAddr: opts.gossipListen, seeds: (opts.join ?? '').split(',').map((x) => x.trim()).filter(Boolean), profile: opts.gossipProfile as 'lan' }
    : undefined;
  const elector = await electorFor(store, log, Number(opts.leaseTtl));
  const cp = await startControlPlane({ dataDir, host, port, store, log, scheduler: opts.scheduler as never, localAgent, gossip, elector, adminToken: opts.token });
  process.stderr.write(
    `orchestrator-api ${VERSION} listening on ${cp.url}\n` +
      `  store:   ${store.name}${store.name === 'sqlite' ? ` (${join(dataDir, 'state.db')})` : ''}\n` +
      `  node:    ${localAgent ? `${localAgent.node.name} (${localAgent.runtime.name} runtime, ${localAgent.node.capacity.cpuCores} cores, ${localAgent.node.capacity.memoryMb} MB)` : 'none (control plane only)'}\n` +
      `  token:   ${join(dataDir, 'admin.token')}\n` +
      (cp.gossipAddress ? `  gossip:  ${cp.gossipAddress} (agents: --join ${cp.gossipAddress})\n` : '') +
      `  try:     node dist/src/bin/orchestrator-cli.js cluster info   (or orchestrator-cli after npm link)\n`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down; containers keep running and are adopted at the next start');
    cp.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * V8 lets a busy heap grow to four times what it holds before it collects; a control plane that
 * holds 500 MB of cluster state would then sit at 2 GB. A headroom of 40% collects sooner, which
 * costs a little CPU on the other core (marking is concurrent) and keeps memory predictable.
 */
function limitHeapGrowth(value: string): void {
  const percent = Number(value);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) throw new Error(`--heap-headroom: "${value}" is not a whole percentage (0-1000)`);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** With etcd, replicas elect a leader on a lease; alone on SQLite, this replica always leads. */
async function electorFor(store: StateStore, log: Logger, ttlSeconds: number) {
  if (store.name !== 'etcd') return undefined;
  const { EtcdLeaderElector } = await import('../cluster/leader/index.js');
  const leasing = store as unknown as ConstructorParameters<typeof EtcdLeaderElector>[0];
  return (url: string) => new EtcdLeaderElector(leasing, { address: url, ttlSeconds, logger: log.child({ component: 'election' }) });
}

async function openStore(spec: string, dataDir: string, sync: 'full' | 'normal', log: Logger): Promise<StateStore> {
  if (spec === 'memory') return new (await import('../store/memory-store.js')).MemoryStateStore();
  if (spec === 'sqlite' || spec.startsWith('sqlite:')) {
    const { SqliteStateStore } = await import('../store/sqlite-store.js');
    return new SqliteStateStore(spec === 'sqlite' ? join(dataDir, 'state.db') : resolve(spec.slice('sqlite:'.length)), { synchronous: sync });
  }
  if (spec.startsWith('etcd://') || spec.startsWith('etcds://')) {
    const { parseEtcdUrl } = await import('../store/etcd-url.js');
    const { EtcdStateStore } = await import('../store/etcd-store.js');
    return new EtcdStateStore(parseEtcdUrl(spec), log.child({ component: 'etcd' }));
  }
  throw new Error(`--store: "${spec}" is not sqlite, sqlite:PATH, memory or etcd://…`);
}

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`orchestrator-api: ${err.message}\n`);
  process.exit(1);
});

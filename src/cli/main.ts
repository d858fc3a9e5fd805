import { Command, Option } from 'commander';
import { ApiClient } from '../api/client.js';
import { OrchestrationError } from '../types/errors.js';
import { resolveConnection } from './config.js';
import { UsageError } from './output.js';

/**
 * orchestrator-cli: the seed's verbs, in kubectl's habits — tables for people, `-o json|yaml` for
 * scripts, errors on stderr, non-zero exit codes. Command modules load only when their command
 * runs, so `workload list` starts in a few tens of milliseconds.
 */
export function buildProgram(): Command {
  const program = new Command('orchestrator-cli')
    .description('Drive an orchestrator cluster: workloads, nodes, instances, events.')
    .version('0.1.0')
    .option('--server <url>', 'API server (env ORCHESTRATOR_SERVER; default http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (env ORCHESTRATOR_TOKEN; default: ./data/admin.token)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();

  const output = () => new Option('-o, --output <format>', 'table, wide, json, yaml or name').default('table');
  const client = () => {
    const g = program.opts<{ server?: string; token?: string }>();
    const conn = resolveConnection(g);
    return new ApiClient({ server: conn.server, token: conn.token });
  };
  const run = (load: () => Promise<(c: ApiClient, ...a: never[]) => Promise<number | void>>) =>
    async (...args: unknown[]) => {
      const fn = await load();
      const c = client();
      try {
        const code = await (fn as (c: ApiClient, ...a: unknown[]) => Promise<number | void>)(c, ...args);
        process.exitCode = code ?? 0;
      } finally {
        c.close();
      }
    };

  const workload = program.command('workload').alias('workloads').alias('wl').description('Workloads: what should run');
  workload.command('create').description('Create workloads from a file (YAML or JSON, several documents allowed)').requiredOption('-f, --file <file>', 'the file, or - for stdin').addOption(output()).action(run(async () => (await import('./commands/workload.js')).create));
  workload.command('apply').description('Create or update workloads from a file; a changed template rolls out').requiredOption('-f, --file <file>', 'the file, or - for stdin').addOption(output()).action(run(async () => (await import('./commands/workload.js')).apply));
  workload.command('list').alias('ls').description('List workloads').option('-l, --selector <selector>', 'label selector k=v,…').option('-w, --watch', 'keep watching for changes').addOption(output()).action(run(async () => (await import('./commands/workload.js')).list));
  workload.command('get <workload>').description('Show one workload').addOption(output().default('yaml')).action(run(async () => (await import('./commands/workload.js')).get));
  workload.command('describe <workload>').description('Workload, its instances and recent events').action(run(async () => (await import('./commands/workload.js')).describe));
  workload.command('delete <workload...>').description('Delete workloads and their instances').option('--wait', 'wait until every instance is gone').action(run(async () => (await import('./commands/workload.js')).remove));
  workload.command('scale <workload>').description('Set the number of replicas').requiredOption('--replicas <n>', 'how many').option('--resource-version <v>', 'only if unchanged since this version').action(run(async () => (await import('./commands/workload.js')).scale));
  workload.command('explain <workload>').description('Why instances are or are not placed: per node, the filter that rejects or the score').addOption(output()).action(run(async () => (await import('./commands/workload.js')).explain));
  const rollout = workload.command('rollout').description('Rolling updates: status, history, undo, pause, resume');
  rollout.command('status <workload>').description('Follow a rollout until it completes or stalls').option('--no-watch', 'print once and exit').option('--timeout <seconds>', 'give up after this long', '600').action(run(async () => (await import('./commands/rollout.js')).status));
  rollout.command('history <workload>').description('Revisions of the instance template').addOption(output()).action(run(async () => (await import('./commands/rollout.js')).history));
  rollout.command('undo <workload>').description('Go back to the previous revision (or --to-revision N)').option('--to-revision <n>', 'revision to return to').action(run(async () => (await import('./commands/rollout.js')).undo));
  rollout.command('pause <workload>').description('Stop replacing instances').action(run(async () => (await import('./commands/rollout.js')).pause));
  rollout.command('resume <workload>').description('Go on replacing instances').action(run(async () => (await import('./commands/rollout.js')).resume));

  const node = program.command('node').alias('nodes').description('Nodes: the machines');
  node.command('list').alias('ls').description('List nodes').option('-w, --watch', 'keep watching').addOption(output()).action(run(async () => (await import('./commands/node.js')).list));
  node.command('describe <node>').description('Node, what runs there and its events').action(run(async () => (await import('./commands/node.js')).describe));
  node.command('cordon <node>').description('No new instances on the node').action(run(async () => (await import('./commands/node.js')).cordon));
  node.command('uncordon <node>').description('Allow new instances on the node again').action(run(async () => (await import('./commands/node.js')).uncordon));
  node.command('drain <node>').description('Cordon, then move every instance away (new copy Running before the old stops)').option('--timeout <seconds>', 'give up after this long', '600').action(run(async () => (await import('./commands/node.js')).drain));
  node.command('token <node>').description('Create a token for the node\'s agent').action(run(async () => (await import('./commands/node.js')).token));

  const instance = program.command('instance').alias('instances').alias('inst').description('Instances: copies of workloads, where they run');
  instance.command('list').alias('ls').description('List instances').option('--workload <workload>', 'only this workload\'s').option('--node <node>', 'only those on this node').option('-w, --watch', 'keep watching').addOption(output()).action(run(async () => (await import('./commands/instance.js')).list));
  instance.command('describe <instance>').description('Instance, its containers and events').action(run(async () => (await import('./commands/instance.js')).describe));
  instance.command('logs <instance>').description('What the container printed').option('-f, --follow', 'keep streaming').option('--tail <n>', 'only the last N lines').option('-c, --container <name>', 'which container').action(run(async () => (await import('./commands/instance.js')).logs));
  instance
    .command('exec <instance> [command...]')
    .description('Run a command in a container: exec INSTANCE -- CMD ARGS')
    .option('-c, --container <name>', 'which container')
    .option('-i, --stdin', 'pass stdin')
    .option('-t, --tty', 'allocate a terminal')
    .action(run(async () => (await import('./commands/instance.js')).exec));

  const image = program.command('image').alias('images').description('Images in a node\'s store (OCI runtime)');
  image.command('list').alias('ls').description('List images').option('--node <node>', 'which node (default: the one with an image store)').addOption(output()).action(run(async () => (await import('./commands/image.js')).list));
  image.command('pull <ref>').description('Pull an image, showing progress').option('--node <node>', 'which node').action(run(async () => (await import('./commands/image.js')).pull));
  image.command('import <file>').description('Import an OCI archive or a docker save tarball').option('--node <node>', 'which node').action(run(async () => (await import('./commands/image.js')).importArchive));
  image.command('rm <ref>').description('Remove an image (refused while a container uses it)').option('--node <node>', 'which node').action(run(async () => (await import('./commands/image.js')).remove));

  program.command('events').description('Cluster events, newest last').option('--workload <workload>', 'only this workload and its instances').option('--for <object>', 'only this object').option('-w, --watch', 'keep watching').option('--limit <n>', 'at most the last N', '100').addOption(output()).action(run(async () => (await import('./commands/events.js')).events));

  const cluster = program.command('cluster').description('The cluster as a whole');
  cluster.command('info').description('Control plane, store, nodes and capacity').addOption(output()).action(run(async () => (await import('./commands/cluster.js')).info));
  cluster.command('backup <file>').description('Save every object of the cluster to FILE (restore with orchestrator-api restore FILE)').action(run(async () => (await import('./commands/cluster.js')).backup));
  cluster.command('health').description('Is the API up and its store healthy? (exit code 0 or 1)').action(run(async () => (await import('./commands/cluster.js')).health));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
  }
}

/** Prints an error the way a person can act on it; returns the exit code. */
export function report(err: unknown): number {
  const e = err as { code?: string; exitCode?: number; message?: string; problems?: string[] };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  if (Array.isArray(e.problems)) {
    process.stderr.write(e.problems.map((p) => `error: ${p}`).join('\n') + '\n');
    return 1;
  }
  if (err instanceof OrchestrationError) {
    process.stderr.write(`error: ${err.message}\n`);
    const fields = (err.details as { fields?: Array<{ path: string; message: string }> } | undefined)?.fields;
    if (fields && fields.length > 1) for (const f of fields) process.stderr.write(`  ${f.path || '(body)'}: ${f.message}\n`);
    return 1;
  }
  process.stderr.write(`error: ${e.message ?? String(err)}\n`);
  return 1;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { execStreamQuery } from '../../src/api/exec-channel.js';
import { isOrchestrationError } from '../../src/types/errors.js';
import { eventually, processesWithArgs, removeDir, startAgent, startApi, tempDir, type AgentProcess, type ApiProcess } from '../support/cluster.js';

/**
 * `instance exec -i` on the process runtime, through the API's exec WebSocket: input piped in reaches
 * the command, its exit code is the CLI's, and what cannot be served is refused before the upgrade.
 * Once with the node's agent in the control plane's process, once with a remote agent (HttpGateway →
 * the agent's server).
 */
const marker = () => ['/bin/sleep', `${7000 + Math.floor(Math.random() * 1000)}.${process.pid}`];

async function runningInstance(api: ApiProcess, command: string[]): Promise<string> {
  await api.client.createWorkload({ name: 'shell', replicas: 1, containers: [{ name: 'main', image: 'busybox', command }] });
  const inst = await eventually(async () => (await api.client.listInstances({ workload: 'shell' })).items.find((i) => i.status === 'Running'), 'a running instance');
  return inst.name;
}

describe('interactive exec on the single-machine cluster', () => {
  const dataDir = tempDir();
  const argv = marker();
  let api: ApiProcess;
  let instance: string;

  beforeAll(async () => {
    api = await startApi({ dataDir });
    instance = await runningInstance(api, argv);
  });

  afterAll(async () => {
    await api?.kill('SIGKILL');
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    removeDir(dataDir);
  });

  it('passes piped input to the command and prints its output', async () => {
    const res = await api.cli(['instance', 'exec', instance, '-i', '--', 'cat'], { input: 'hello\n' });
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('hello\n');
    expect(res.code).toBe(0);
  });

  it('exits with the command\'s exit code', async () => {
    const res = await api.cli(['instance', 'exec', instance, '-i', '--', 'sh', '-c', 'read x; echo "got $x" >&2; exit 3'], { input: 'line\n' });
    expect(res.stderr).toBe('got line\n');
    expect(res.code).toBe(3);
  });

  it('gives the command no input without -i, so it does not wait for any', async () => {
    const res = await api.cli(['instance', 'exec', instance, '--', 'cat']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
  });

  it('refuses a bad token with 401 before the upgrade', async () => {
    const stranger = new ApiClient({ server: api.url, token: 'not-the-admin-token' });
    await expect(stranger.connect(`/api/v1/instances/${instance}/exec/stream`, execStreamQuery({ command: ['cat'], tty: false, stdin: true }))).rejects.toSatisfy((e) => isOrchestrationError(e, 'Unauthorized'));
    const res = await api.cli(['--token', 'not-the-admin-token', 'instance', 'exec', instance, '-i', '--', 'cat']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('invalid token');
  });

  it('says which instance it could not find, and exits non-zero', async () => {
    const res = await api.cli(['instance', 'exec', 'no-such-instance', '-it', '--', 'sh']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('error: instance "no-such-instance" not found\n');
  });
});

describe('interactive exec through a remote agent', () => {
  const dataDir = tempDir();
  const argv = marker();
  let api: ApiProcess;
  let agent: AgentProcess;
  let instance: string;

  beforeAll(async () => {
    api = await startApi({ dataDir: `${dataDir}/cp`, runtime: 'none' });
    agent = await startAgent({ server: api.url, token: api.token, name: 'remote', capacity: 'cpu=2,memory=1024', dataDir: `${dataDir}/remote` });
    instance = await runningInstance(api, argv);
  });

  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await api?.kill('SIGKILL');
    for (const pid of processesWithArgs(argv)) process.kill(pid, 'SIGKILL');
    removeDir(dataDir);
  });

  it('relays input, output and the exit code between the CLI and the node', async () => {
    const echoed = await api.cli(['instance', 'exec', instance, '-i', '--', 'cat'], { input: 'hello\n' });
    expect(echoed.stdout).toBe('hello\n');
    expect(echoed.code).toBe(0);
    const failed = await api.cli(['instance', 'exec', instance, '-i', '--', 'sh', '-c', 'read x; exit 3'], { input: 'x\n' });
    expect(failed.code).toBe(3);
  });

  it('has the agent refuse a token that is not the admin\'s, before the upgrade', async () => {
    const { address } = await api.client.getNode('remote');
    const stranger = new ApiClient({ server: address!, token: 'not-the-admin-token' });
    const { instanceId } = await api.client.getInstance(instance);
    await expect(stranger.connect(`/v1/instances/${instanceId}/exec/stream`, execStreamQuery({ command: ['cat'], tty: false, stdin: true }))).rejects.toSatisfy((e) => isOrchestrationError(e, 'Unauthorized'));
  });
});

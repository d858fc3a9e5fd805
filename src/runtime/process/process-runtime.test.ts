import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerRuntimeContract, shellCommandFor } from '../../../test/contracts/container-runtime.contract.js';
import type { ContainerConfig } from '../../types/container.js';
import { isOrchestrationError } from '../../types/errors.js';
import { readRecord, writeRecord } from './container-record.js';
import { readProcStat } from '../../lib/proc-stat.js';
import { ProcessRuntime } from './process-runtime.js';

for (const supervise of [true, false]) {
  let contractDir: string;
  containerRuntimeContract(
    supervise ? 'process' : 'process (unsupervised)',
    async () => {
      contractDir = mkdtempSync(join(tmpdir(), 'process-runtime-contract-'));
      return new ProcessRuntime({ dataDir: contractDir, supervise });
    },
    {
      commandFor: (b) => shellCommandFor(b),
      execCommand: { command: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], stdout: 'out\n', stderr: 'err\n', exitCode: 3 },
      cleanup: async () => rmSync(contractDir, { recursive: true, force: true }),
    },
  );
}

/** The process with this PID runs (a zombie has ended). */
function running(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z';
}

/** Resolves once `pid` no longer runs. Polls: a process that is not our child has no exit event. */
async function gone(pid: number): Promise<void> {
  while (running(pid)) await new Promise((r) => setTimeout(r, 10));
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

/** The first output of a followed log (and the stream closed). */
async function firstChunk(stream: Readable): Promise<string> {
  for await (const chunk of stream) {
    stream.destroy();
    return chunk.toString();
  }
  return '';
}

function cfg(command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name: 'main', image: 'ignored', command, ...extra } as ContainerConfig;
}

describe('ProcessRuntime', () => {
  let dataDir: string;
  const runtimes: ProcessRuntime[] = [];
  const strays: number[] = [];
  const open = async (pollMs?: number, supervise?: boolean, maxLogBytes?: number) => {
    const rt = new ProcessRuntime({ dataDir, pollMs, supervise, maxLogBytes });
    runtimes.push(rt);
    await rt.initNode('n1');
    return rt;
  };

  const leaderPid = (containerId: string) => readRecord(join(dataDir, 'nodes', 'n1', containerId))!.leader.pid;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'process-runtime-'));
  });
  afterEach(async () => {
    const last = new ProcessRuntime({ dataDir });
    await last.initNode('n1');
    for (const c of await last.listContainers('n1')) await last.removeContainer('n1', c.containerId);
    await last.close();
    for (const rt of runtimes.splice(0)) await rt.close();
    for (const pid of strays.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is adopted by a new runtime object after a restart: same pid, labels and logs, and a stop through it kills the process', async () => {
    const first = await open();
    await first.createContainer('n1', 'i1.main', cfg(['/bin/sh', '-c', 'echo started; exec sleep 100000']), { labels: { 'orchestrator.instance': 'i1' } });
    await firstChunk(await first.logs('n1', 'i1.main', { follow: true }));
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    await first.close();

    const second = await open();
    expect(await second.listContainers('n1')).toMatchObject([{ containerId: 'i1.main', state: 'Running', pid, labels: { 'orchestrator.instance': 'i1' } }]);
    expect(await readAll(await second.logs('n1', 'i1.main', {}))).toBe('started\n');
    await second.stopContainer('n1', 'i1.main', 5000);
    expect(running(pid!)).toBe(false);
    expect(await second.getContainerStatus('n1', 'i1.main')).toMatchObject({ state: 'Stopped', exitCode: 143, reason: 'Error' });
  });

  it('keeps the exit code of a container that ended while no agent was running', async () => {
    const first = await open();
    await first.createContainer('n1', 'i1.main', cfg(['/bin/sh', '-c', 'sleep 0.2; exit 3']), { labels: {} });
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    const supervisor = leaderPid('i1.main');
    await first.close();
    await gone(pid!);
    await gone(supervisor);

    const second = await open();
    const st = await second.getContainerStatus('n1', 'i1.main');
    expect(st).toMatchObject({ state: 'Stopped', exitCode: 3, reason: 'Error' });
    expect(st.pid).toBeUndefined();
    const third = await open();
    expect(await third.getContainerStatus('n1', 'i1.main')).toMatchObject({ state: 'Stopped', exitCode: 3, finishedAt: st.finishedAt });
  });

  it('notices when an adopted container is killed, with its exit status, and tells exit listeners', async () => {
    const first = await open();
    await first.createContainer('n1', 'i1.main', cfg(['sleep', '100000']), { labels: {} });
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    await first.close();
    const second = await open(20);
    const exited = new Promise<string>((resolve) => second.onExit((node, id) => resolve(`${node}/${id}`)));
    process.kill(pid!, 'SIGKILL');
    expect(await exited).toBe('n1/i1.main');
    expect(await second.getContainerStatus('n1', 'i1.main')).toMatchObject({ state: 'Stopped', exitCode: 137, reason: 'Error', message: 'terminated by SIGKILL' });
  });

  it('reports reason Unknown and no exit code when nothing could record how a container ended', async () => {
    const first = await open();
    await first.createContainer('n1', 'i1.main', cfg(['sleep', '100000']), { labels: {} });
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    const supervisor = leaderPid('i1.main');
    await first.close();
    process.kill(-supervisor, 'SIGKILL');
    await gone(pid!);
    await gone(supervisor);

    const second = await open();
    const st = await second.getContainerStatus('n1', 'i1.main');
    expect(st).toMatchObject({ state: 'Stopped', reason: 'Unknown' });
    expect(st.exitCode).toBeUndefined();
  });

  it('without the supervisor, reports an exit no agent saw as reason Unknown', async () => {
    const first = await open(undefined, false);
    await first.createContainer('n1', 'i1.main', cfg(['sleep', '100000']), { labels: {} });
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    expect(leaderPid('i1.main')).toBe(pid);
    await first.close();
    process.kill(pid!, 'SIGKILL');
    await gone(pid!);
    const second = await open(undefined, false);
    const st = await second.getContainerStatus('n1', 'i1.main');
    expect(st).toMatchObject({ state: 'Stopped', reason: 'Unknown' });
    expect(st.exitCode).toBeUndefined();
  });

  it('stops the whole process group: a child that ignores SIGTERM dies with the container', async () => {
    const rt = await open();
    await rt.createContainer('n1', 'i1.main', cfg(['/bin/sh', '-c', "trap '' TERM; sleep 100000 & echo $!; wait"]), { labels: {} });
    const log = await firstChunk(await rt.logs('n1', 'i1.main', { follow: true }));
    const grandchild = Number(log.trim());
    strays.push(grandchild);
    expect(running(grandchild)).toBe(true);
    await rt.stopContainer('n1', 'i1.main', 200);
    expect(running(grandchild)).toBe(false);
    expect(await rt.getContainerStatus('n1', 'i1.main')).toMatchObject({ state: 'Stopped', exitCode: 137, message: expect.stringContaining('grace period') });
  });

  it('ends what the main process left behind when it exits by itself', async () => {
    const rt = await open();
    const exited = new Promise<void>((resolve) => rt.onExit(() => resolve()));
    await rt.createContainer('n1', 'i1.main', cfg(['/bin/sh', '-c', 'sleep 100000 & echo $!']), { labels: {} });
    await exited;
    const grandchild = Number((await readAll(await rt.logs('n1', 'i1.main', {}))).trim());
    strays.push(grandchild);
    await gone(grandchild);
    expect(await rt.getContainerStatus('n1', 'i1.main')).toMatchObject({ state: 'Stopped', exitCode: 0, reason: 'Completed' });
  });

  it('never takes a process that reused a recorded PID for its container, nor signals it', async () => {
    const other = spawn('sleep', ['100000'], { detached: true, stdio: 'ignore' });
    other.unref();
    strays.push(other.pid!);
    const first = await open();
    await first.createContainer('n1', 'i1.main', cfg(['sleep', '100000']), { labels: {} });
    const dir = join(dataDir, 'nodes', 'n1', 'i1.main');
    const { pid } = await first.getContainerStatus('n1', 'i1.main');
    const supervisor = leaderPid('i1.main');
    await first.close();
    process.kill(-supervisor, 'SIGKILL');
    await gone(pid!);
    await gone(supervisor);
    // As if the kernel had handed our PIDs to `other` since: same PID, another start time. (Set
    // explicitly: start times have clock-tick resolution, and both processes began within one.)
    const record = readRecord(dir)!;
    const reused = { ...record.process, pid: other.pid!, startTime: String(Number(readProcStat(other.pid!)!.startTime) - 1) };
    writeRecord(dir, { ...record, process: reused, leader: reused });

    const second = await open();
    expect((await second.getContainerStatus('n1', 'i1.main')).state).toBe('Stopped');
    await second.stopContainer('n1', 'i1.main', 100);
    await second.removeContainer('n1', 'i1.main');
    expect(running(other.pid!)).toBe(true);
  });

  it('runs the command without a shell, in its working directory, with only the configured environment', async () => {
    process.env.ORCHESTRATOR_TEST_SECRET = 'agent-only';
    try {
      const rt = await open();
      const work = join(dataDir, 'somewhere');
      mkdirSync(work);
      await rt.createContainer('n1', 'i1.main', cfg(['/bin/echo', '$HOME', '*', '; true']), { labels: {} });
      await rt.createContainer('n1', 'i2.main', cfg(['/bin/pwd'], { workingDir: work }), { labels: {} });
      await rt.createContainer('n1', 'i3.main', cfg(['env'], { env: { COLOUR: 'blue' } }), { labels: {}, hostname: 'web-abcde' });
      for (const id of ['i1.main', 'i2.main', 'i3.main']) while ((await rt.getContainerStatus('n1', id)).state !== 'Stopped') await new Promise((r) => setTimeout(r, 10));
      expect(await readAll(await rt.logs('n1', 'i1.main', {}))).toBe('$HOME * ; true\n');
      expect(await readAll(await rt.logs('n1', 'i2.main', {}))).toBe(`${work}\n`);
      const env = await readAll(await rt.logs('n1', 'i3.main', {}));
      expect(env).toContain('COLOUR=blue\n');
      expect(env).toContain('HOSTNAME=web-abcde\n');
      expect(env).not.toContain('ORCHESTRATOR_TEST_SECRET');
      expect(env).not.toContain('ORCHESTRATOR_SUPERVISED');
    } finally {
      delete process.env.ORCHESTRATOR_TEST_SECRET;
    }
  });

  it('execs a command in the container directory and environment, with its output and exit code', async () => {
    const rt = await open();
    await rt.createContainer('n1', 'i1.main', cfg(['sleep', '100000'], { env: { GREETING: 'hi' } }), { labels: {} });
    const session = await rt.exec('n1', 'i1.main', ['/bin/sh', '-c', 'echo "$GREETING $EXTRA"; pwd; echo oops >&2; exit 4'], { env: { EXTRA: 'there' } });
    const [out, err, code] = await Promise.all([readAll(session.stdout), readAll(session.stderr), session.exitCode]);
    expect(out).toBe(`hi there\n${join(dataDir, 'nodes', 'n1', 'i1.main', 'work')}\n`);
    expect(err).toBe('oops\n');
    expect(code).toBe(4);
  });

  it('starts the command with no signal ignored, so SIGINT and SIGTERM act as usual', async () => {
    const rt = await open();
    const exited = new Promise<void>((resolve) => rt.onExit(() => resolve()));
    await rt.createContainer('n1', 'i1.main', cfg(['grep', '^SigIgn', '/proc/self/status']), { labels: {} });
    await exited;
    expect(await readAll(await rt.logs('n1', 'i1.main', {}))).toBe('SigIgn:\t0000000000000000\n');
  });

  it('shows the command once in the process table: the supervisor line names only its exit file', async () => {
    const rt = await open();
    await rt.createContainer('n1', 'i1.main', cfg(['sleep', '99991', '1']), { labels: {} });
    const { pid } = await rt.getContainerStatus('n1', 'i1.main');
    const cmdline = (p: number) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(cmdline(pid!)).toEqual(['sleep', '99991', '1']);
    const supervisor = leaderPid('i1.main');
    expect(supervisor).not.toBe(pid);
    expect(cmdline(supervisor).join(' ')).not.toContain('99991');
  });

  it('rotates a log over its size limit, and tail still reaches into the rotated part', async () => {
    const rt = await open(20, true, 1000);
    const lines = Array.from({ length: 60 }, (_, i) => String(i).padStart(40, '0'));
    const burst = join(dataDir, 'burst.txt');
    writeFileSync(burst, lines.map((l) => `${l}\n`).join(''));
    const log = join(dataDir, 'nodes', 'n1', 'i1.main', 'output.log');
    const rotated = `${log}.1`;
    // 2,460 bytes in one write, then one more line once the log has been rotated (copied and emptied:
    // a line written between the two is lost, by design).
    const script = `cat ${burst}; while [ ! -e ${rotated} ] || [ -s ${log} ]; do sleep 0.02; done; echo after`;
    await rt.createContainer('n1', 'i1.main', cfg(['/bin/sh', '-c', script]), { labels: {} });
    const followed = await readAll(await rt.logs('n1', 'i1.main', { follow: true }));
    expect(followed.endsWith('after\n')).toBe(true);
    expect(readFileSync(join(dataDir, 'nodes', 'n1', 'i1.main', 'output.log'), 'utf8')).toBe('after\n');
    expect(await readAll(await rt.logs('n1', 'i1.main', { tail: 3 }))).toBe(`${lines[58]}\n${lines[59]}\nafter\n`);
    expect(await readAll(await rt.logs('n1', 'i1.main', {}))).toBe(`${lines.join('\n')}\nafter\n`);
  });

  it('fails to create a container whose working directory does not exist, and keeps nothing of it', async () => {
    const rt = await open();
    await expect(rt.createContainer('n1', 'i1.main', cfg(['true'], { workingDir: join(dataDir, 'missing') }), { labels: {} })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError'));
    expect(await rt.listContainers('n1')).toEqual([]);
  });

  it('refuses a container without a command, since images are ignored', async () => {
    const rt = await open();
    await expect(rt.createContainer('n1', 'i1.main', cfg([]), { labels: {} })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError') && /command/.test((e as Error).message));
  });

  it('clears out a container directory that has no record, left by a crash during create', async () => {
    mkdirSync(join(dataDir, 'nodes', 'n1', 'half.main'), { recursive: true });
    writeFileSync(join(dataDir, 'nodes', 'n1', 'half.main', 'output.log'), '');
    const rt = await open();
    expect(await rt.listContainers('n1')).toEqual([]);
    await rt.createContainer('n1', 'half.main', cfg(['true']), { labels: {} });
  });
});

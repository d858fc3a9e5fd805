import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerIdFor, CONTAINER_LABELS, type ContainerRuntime } from '../../src/runtime/container-runtime.js';
import type { ContainerConfig } from '../../src/types/container.js';
import type { ContainerState, ContainerStatus } from '../../src/types/instance.js';
import { isOrchestrationError } from '../../src/types/errors.js';

/**
 * What a container of the suite must do. Each runtime's fixture turns a behaviour into the config
 * fields that produce it: host commands for the process runtime (`/bin/sh`, `sleep`), busybox for
 * runc, SIM_* variables for the simulated runtime.
 */
export type ContainerBehaviour =
  /** Runs until stopped; prints `prints` (one line) first when given. Dies of SIGTERM like a default process. */
  | { kind: 'runsForever'; prints?: string }
  /** Prints each of `prints` as a line, waits `afterMs` (default 0), prints `thenPrints` if given, exits with `exitCode`. */
  | { kind: 'exits'; prints: string[]; exitCode: number; afterMs?: number; thenPrints?: string }
  /** Ignores SIGTERM; prints `prints` (one line) once it does, then runs until killed. */
  | { kind: 'ignoresSigterm'; prints: string }
  /** Prints the value of environment variable `variable` (one line), then exits 0. */
  | { kind: 'printsEnv'; variable: string }
  /** A container whose process cannot be started at all (missing executable, scripted start error). */
  | { kind: 'cannotStart' };

export interface RuntimeContractFixture {
  /** The config fields (`image`, `command`, `args`, `env`) that make a container behave as asked. */
  commandFor(behaviour: ContainerBehaviour): Partial<ContainerConfig>;
  /**
   * For runtimes with exec: a command to exec in a running container that prints `stdout` (to its
   * stdout), `stderr` (to its stderr) and exits with `exitCode`.
   */
  execCommand?: { command: string[]; stdout: string; stderr: string; exitCode: number };
  /** Runs after the runtime is closed, to delete temp dirs and the like. */
  cleanup?(): Promise<void>;
}

/** Single-quoted for a POSIX shell. */
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Each behaviour as a POSIX shell script and `sleep`: what a fixture for host processes (shell at
 * `/bin/sh`) or a busybox image (`shell` = its sh) can return from `commandFor`. PID 1 of a PID
 * namespace ignores SIGTERM unless it handles it; a runc fixture wraps `runsForever` accordingly.
 */
export function shellCommandFor(b: ContainerBehaviour, shell = '/bin/sh'): Partial<ContainerConfig> {
  switch (b.kind) {
    case 'runsForever':
      return b.prints === undefined ? { command: ['sleep', '100000'] } : { command: [shell, '-c', `echo ${shq(b.prints)}; exec sleep 100000`] };
    case 'exits': {
      const parts = b.prints.map((l) => `echo ${shq(l)}`);
      if (b.afterMs) parts.push(`sleep ${b.afterMs / 1000}`);
      if (b.thenPrints !== undefined) parts.push(`echo ${shq(b.thenPrints)}`);
      parts.push(`exit ${b.exitCode}`);
      return { command: [shell, '-c', parts.join('; ')] };
    }
    case 'ignoresSigterm':
      return { command: [shell, '-c', `trap '' TERM; echo ${shq(b.prints)}; while :; do sleep 1; done`] };
    case 'printsEnv':
      return { command: [shell, '-c', `echo "$${b.variable}"`] };
    case 'cannotStart':
      return { command: ['/nonexistent/bin/no-such-command'] };
  }
}

const NODE_A = 'node-a';
const NODE_B = 'node-b';
/** Bounds on how long a real container may take to reach a state: generous for slow CI machines. */
const WAIT_MS = 15_000;

/**
 * The behaviour every ContainerRuntime must have (see the contract on the interface). Each
 * implementation's test file calls this with a factory for a fresh runtime and its fixture; a runtime
 * conforms when all of it passes. The suite removes every container it created after each test.
 */
export function containerRuntimeContract(name: string, open: () => Promise<ContainerRuntime>, fixture: RuntimeContractFixture): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let runtime: ContainerRuntime;
    let created: Array<[string, string]>;
    const exitWaiters = new Set<() => void>();

    beforeEach(async () => {
      runtime = await open();
      created = [];
      runtime.onExit?.(() => {
        for (const w of [...exitWaiters]) w();
      });
      await runtime.initNode(NODE_A);
      await runtime.initNode(NODE_B);
    });

    afterEach(async () => {
      for (const [node, id] of created) await runtime.removeContainer(node, id).catch(() => {});
      await runtime.close?.();
      exitWaiters.clear();
      await fixture.cleanup?.();
    });

    function newId(): string {
      return containerIdFor(`inst-${randomBytes(4).toString('hex')}`, 'main');
    }

    function configFor(behaviour: ContainerBehaviour, env: Record<string, string> = {}): ContainerConfig {
      const part = fixture.commandFor(behaviour);
      return { name: 'main', image: 'busybox', ...part, env: { ...part.env, ...env } } as ContainerConfig;
    }

    async function start(behaviour: ContainerBehaviour, opts: { node?: string; id?: string; env?: Record<string, string>; labels?: Record<string, string> } = {}) {
      const node = opts.node ?? NODE_A;
      const id = opts.id ?? newId();
      created.push([node, id]);
      const labels = opts.labels ?? { [CONTAINER_LABELS.instance]: id.split('.')[0], [CONTAINER_LABELS.container]: 'main' };
      const returned = await runtime.createContainer(node, id, configFor(behaviour, opts.env), { labels, hostname: 'contract' });
      return { node, id, returned, labels };
    }

    /** Resolves with the status once the container is in `state`; re-checks on every exit event, and polls for runtimes without one. */
    function waitForState(node: string, id: string, state: ContainerState): Promise<ContainerStatus> {
      return new Promise((resolve, reject) => {
        let done = false;
        const finish = (err: unknown, st?: ContainerStatus) => {
          if (done) return;
          done = true;
          exitWaiters.delete(check);
          clearTimeout(deadline);
          clearInterval(poll);
          if (err) reject(err);
          else resolve(st!);
        };
        const check = () => {
          runtime.getContainerStatus(node, id).then((st) => {
            if (st.state === state) finish(undefined, st);
          }, (err) => finish(err));
        };
        const deadline = setTimeout(() => finish(new Error(`${id} did not reach ${state} within ${WAIT_MS} ms`)), WAIT_MS);
        const poll = setInterval(check, runtime.onExit ? 1000 : 50);
        exitWaiters.add(check);
        check();
      });
    }

    async function readAll(stream: Readable): Promise<string> {
      let text = '';
      for await (const chunk of stream) text += chunk.toString();
      return text;
    }

    /** Follows the logs until `text` appears; resolves with what was read by then. */
    async function waitForLog(node: string, id: string, text: string): Promise<string> {
      const ac = new AbortController();
      const stream = await runtime.logs(node, id, { follow: true, signal: ac.signal });
      let seen = '';
      try {
        for await (const chunk of stream) {
          seen += chunk.toString();
          if (seen.includes(text)) return seen;
        }
        throw new Error(`log of ${id} ended without "${text}": ${JSON.stringify(seen)}`);
      } finally {
        ac.abort();
        stream.destroy();
      }
    }

    it('creates a running container whose status and listing carry its name and labels', async () => {
      const { node, id, returned, labels } = await start({ kind: 'runsForever' }, { labels: { [CONTAINER_LABELS.instance]: 'i-1', [CONTAINER_LABELS.workload]: 'w-1', custom: 'yes' } });
      expect(returned).toBe(id);
      const st = await runtime.getContainerStatus(node, id);
      expect(st).toMatchObject({ containerId: id, name: 'main', state: 'Running', restartCount: 0, labels });
      expect(st.startedAt && !Number.isNaN(Date.parse(st.startedAt))).toBe(true);
      expect(st.exitCode).toBeUndefined();
      const listed = await runtime.listContainers(node);
      expect(listed.map((c) => c.containerId)).toEqual([id]);
      expect(listed[0]).toMatchObject({ state: 'Running', labels });
    });

    it('reports a container that exits as Stopped with its exit code and finish time', async () => {
      const failing = await start({ kind: 'exits', prints: [], exitCode: 3 });
      const ok = await start({ kind: 'exits', prints: [], exitCode: 0 });
      const failed = await waitForState(failing.node, failing.id, 'Stopped');
      expect(failed).toMatchObject({ state: 'Stopped', exitCode: 3, reason: 'Error' });
      expect(Date.parse(failed.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(failed.startedAt!));
      expect(await waitForState(ok.node, ok.id, 'Stopped')).toMatchObject({ exitCode: 0, reason: 'Completed' });
    });

    it('tells onExit listeners when a container exits', async () => {
      if (!runtime.onExit) return;
      const seen: string[] = [];
      const exited = new Promise<void>((resolve) => runtime.onExit!((node, id) => {
        seen.push(`${node}/${id}`);
        resolve();
      }));
      const { node, id } = await start({ kind: 'exits', prints: [], exitCode: 0 });
      await exited;
      expect(seen).toContain(`${node}/${id}`);
    });

    it('returns what the container printed, all of it or the last lines', async () => {
      const { node, id } = await start({ kind: 'exits', prints: ['one', 'two', 'three'], exitCode: 0 });
      await waitForState(node, id, 'Stopped');
      expect(await readAll(await runtime.logs(node, id, {}))).toBe('one\ntwo\nthree\n');
      expect(await readAll(await runtime.logs(node, id, { tail: 2 }))).toBe('two\nthree\n');
      expect(await readAll(await runtime.logs(node, id, { tail: 0 }))).toBe('');
    });

    it('follows output as it is printed and ends the stream once the container has stopped', async () => {
      const { node, id } = await start({ kind: 'exits', prints: ['first'], afterMs: 300, thenPrints: 'second', exitCode: 0 });
      const followed = await readAll(await runtime.logs(node, id, { follow: true }));
      expect(followed).toBe('first\nsecond\n');
      expect((await runtime.getContainerStatus(node, id)).state).toBe('Stopped');
    });

    it('passes the configured environment to the container', async () => {
      const { node, id } = await start({ kind: 'printsEnv', variable: 'GREETING' }, { env: { GREETING: 'hello from env' } });
      await waitForState(node, id, 'Stopped');
      expect(await readAll(await runtime.logs(node, id, {}))).toBe('hello from env\n');
    });

    it('stops a container with SIGTERM, and stopping again changes nothing', async () => {
      const { node, id } = await start({ kind: 'runsForever', prints: 'up' });
      await waitForLog(node, id, 'up');
      await Promise.all([runtime.stopContainer(node, id, 10_000), runtime.stopContainer(node, id, 10_000)]);
      const st = await runtime.getContainerStatus(node, id);
      expect(st).toMatchObject({ state: 'Stopped', exitCode: 143 });
      await runtime.stopContainer(node, id, 10_000);
      expect(await runtime.getContainerStatus(node, id)).toMatchObject({ state: 'Stopped', exitCode: 143, finishedAt: st.finishedAt });
    });

    it('with no grace period, kills a container at once instead of asking it to stop', async () => {
      const { node, id } = await start({ kind: 'runsForever', prints: 'up' });
      await waitForLog(node, id, 'up');
      await runtime.stopContainer(node, id, 0);
      // 137 (SIGKILL), not 143: it was never sent the SIGTERM it would have died of.
      expect(await runtime.getContainerStatus(node, id)).toMatchObject({ state: 'Stopped', exitCode: 137 });
    });

    it('kills a container that ignores SIGTERM once the grace period is over', async () => {
      const { node, id } = await start({ kind: 'ignoresSigterm', prints: 'ignoring' });
      await waitForLog(node, id, 'ignoring');
      const grace = 400;
      const began = Date.now();
      await runtime.stopContainer(node, id, grace);
      expect(Date.now() - began).toBeGreaterThanOrEqual(grace - 20);
      expect(await runtime.getContainerStatus(node, id)).toMatchObject({ state: 'Stopped', exitCode: 137 });
    });

    it('keeps the exit code of a container that had already exited when asked to stop', async () => {
      const { node, id } = await start({ kind: 'exits', prints: [], exitCode: 5 });
      await waitForState(node, id, 'Stopped');
      await runtime.stopContainer(node, id, 1000);
      expect(await runtime.getContainerStatus(node, id)).toMatchObject({ state: 'Stopped', exitCode: 5 });
    });

    it('removes a container: its id is free again, and removing twice is fine', async () => {
      const { node, id } = await start({ kind: 'runsForever' });
      await runtime.removeContainer(node, id);
      await expect(runtime.getContainerStatus(node, id)).rejects.toSatisfy((e) => isOrchestrationError(e, 'NotFound'));
      expect(await runtime.listContainers(node)).toEqual([]);
      await runtime.removeContainer(node, id);
      await runtime.stopContainer(node, id, 1000);
      await start({ kind: 'runsForever' }, { node, id });
      expect((await runtime.getContainerStatus(node, id)).state).toBe('Running');
    });

    it('refuses to create an id that exists, and leaves the first container running', async () => {
      const { node, id } = await start({ kind: 'runsForever' });
      await expect(runtime.createContainer(node, id, configFor({ kind: 'runsForever' }), { labels: {} })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError'));
      expect((await runtime.getContainerStatus(node, id)).state).toBe('Running');
      expect(await runtime.listContainers(node)).toHaveLength(1);
    });

    it('fails to create a container that cannot start, with RuntimeError, and keeps nothing of it', async () => {
      const id = newId();
      await expect(runtime.createContainer(NODE_A, id, configFor({ kind: 'cannotStart' }), { labels: {} })).rejects.toSatisfy((e) => isOrchestrationError(e, 'RuntimeError'));
      expect(await runtime.listContainers(NODE_A)).toEqual([]);
      await expect(runtime.getContainerStatus(NODE_A, id)).rejects.toSatisfy((e) => isOrchestrationError(e, 'NotFound'));
    });

    it('execs a command in a running container, with its output and exit code', async () => {
      if (!runtime.exec || !runtime.capabilities.exec || !fixture.execCommand) return;
      const { command, stdout, stderr, exitCode } = fixture.execCommand;
      const { node, id } = await start({ kind: 'runsForever' });
      const session = await runtime.exec(node, id, command, {});
      const [out, err, code] = await Promise.all([readAll(session.stdout), readAll(session.stderr), session.exitCode]);
      expect({ out, err, code }).toEqual({ out: stdout, err: stderr, code: exitCode });
    });

    it('answers NotFound for the status of a container it never had', async () => {
      await expect(runtime.getContainerStatus(NODE_A, newId())).rejects.toSatisfy((e) => isOrchestrationError(e, 'NotFound'));
    });

    it('lists containers per node, and a node sees only its own', async () => {
      const a = await start({ kind: 'runsForever' }, { node: NODE_A });
      const b1 = await start({ kind: 'runsForever' }, { node: NODE_B });
      const b2 = await start({ kind: 'exits', prints: [], exitCode: 0 }, { node: NODE_B });
      expect((await runtime.listContainers(NODE_A)).map((c) => c.containerId)).toEqual([a.id]);
      expect((await runtime.listContainers(NODE_B)).map((c) => c.containerId).sort()).toEqual([b1.id, b2.id].sort());
      await expect(runtime.getContainerStatus(NODE_B, a.id)).rejects.toSatisfy((e) => isOrchestrationError(e, 'NotFound'));
    });
  });
}

import { containerIdFor, type ContainerRuntime } from '../../runtime/container-runtime.js';
import { systemClock, type Clock } from '../../types/clock.js';
import type { ContainerConfig, Probe } from '../../types/container.js';
import type { WorkloadInstance } from '../../types/instance.js';
import type { Logger } from '../../types/logger.js';
import type { ProbeSupervisor } from '../probes.js';
import { execCheck } from './exec-check.js';
import { httpCheck } from './http-check.js';
import { netnsCheck, type CheckProgram, type NetworkCheck } from './netns-check.js';
import type { ProbeResult } from './probe-result.js';
import { ProbeWorker, type ProbeKind } from './probe-worker.js';
import { tcpCheck } from './tcp-check.js';

/** A failed probe attempt, for the agent to record as an `Unhealthy` warning event. */
export interface ProbeEvent {
  nodeId: string;
  instance: WorkloadInstance;
  container: string;
  probe: ProbeKind;
  reason: 'Unhealthy';
  /** `Readiness probe failed: <output>`, as the kubelet words it. */
  message: string;
}

export interface ProberOptions {
  runtime: ContainerRuntime;
  log: Logger;
  clock?: Clock;
  onEvent?: (event: ProbeEvent) => void;
  /**
   * Where the container's network is, for http and tcp probes. Default: the host's (127.0.0.1) for the
   * process and simulated runtimes and for `network: host`; otherwise the network namespace of the
   * container's first process (its pid from the runtime), checked from inside with `nsenter`.
   */
  network?: (nodeId: string, containerId: string, container: ContainerConfig) => Promise<ProbeNetwork>;
  /** The program netns checks run (tests running from TypeScript sources give their own). */
  checkProgram?: CheckProgram;
}

export type ProbeNetwork = { kind: 'host' } | { kind: 'netns'; pid: number };

interface Tracked {
  nodeId: string;
  instance: WorkloadInstance;
  container: ContainerConfig;
  containerId: string;
  /** Startup probe passed (or there is none): liveness and readiness may run. */
  started: boolean;
  ready: boolean;
  workers: Map<ProbeKind, ProbeWorker>;
  startedAt: number;
}

const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/**
 * The agent's health checker (the kubelet's prober manager): liveness, readiness and startup probes
 * per container, of kind exec, http or tcp, with Kubernetes' timing and thresholds.
 *
 * - A startup probe holds the other two off until it passes; failing it past its threshold counts as
 *   a liveness failure (the container is restarted).
 * - Readiness is false until the readiness probe first passes (true at once without one); it follows
 *   the probe afterwards.
 * - A liveness verdict of failure is kept until the agent takes it (`takeLivenessFailure`, once), and
 *   the container's probes pause until it is restarted (`containerGone`, then `containerStarted`).
 * - Every failed attempt is reported through `onEvent`; listeners of `onChange` hear of every verdict
 *   that the agent must act on (readiness flips, liveness and startup failures).
 *
 * Containers without probes cost nothing: they are not tracked. All timers run on the injected clock.
 */
export class Prober implements ProbeSupervisor {
  private readonly containers = new Map<string, Tracked>();
  private readonly livenessFailures = new Map<string, string>();
  private readonly listeners: Array<(instanceId: string) => void> = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly o: ProberOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.log.child({ component: 'prober' });
  }

  readiness(instanceId: string, container: ContainerConfig): boolean {
    const t = this.containers.get(containerIdFor(instanceId, container.name));
    if (!t) return !container.readinessProbe && !container.startupProbe;
    return t.started && t.ready;
  }

  /** Starts probing the container. Idempotent: a container already followed is left as it is. */
  containerStarted(nodeId: string, instance: WorkloadInstance, container: ContainerConfig, containerId: string): void {
    if (this.stopped || this.containers.has(containerId)) return;
    if (!container.livenessProbe && !container.readinessProbe && !container.startupProbe) return;
    const t: Tracked = { nodeId, instance, container, containerId, started: !container.startupProbe, ready: !container.readinessProbe, workers: new Map(), startedAt: this.clock.now() };
    this.containers.set(containerId, t);
    this.livenessFailures.delete(containerId);
    if (container.startupProbe) this.startWorker(t, 'startup', container.startupProbe);
    else this.startMain(t);
  }

  containerGone(containerId: string): void {
    const t = this.containers.get(containerId);
    if (t) for (const w of t.workers.values()) w.stop();
    this.containers.delete(containerId);
    this.livenessFailures.delete(containerId);
  }

  takeLivenessFailure(containerId: string): string | undefined {
    const reason = this.livenessFailures.get(containerId);
    this.livenessFailures.delete(containerId);
    return reason;
  }

  onChange(listener: (instanceId: string) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.containers.keys()]) this.containerGone(id);
  }

  /** Liveness and readiness, once the startup probe (if any) has passed. */
  private startMain(t: Tracked): void {
    if (t.container.livenessProbe) this.startWorker(t, 'liveness', t.container.livenessProbe);
    if (t.container.readinessProbe) this.startWorker(t, 'readiness', t.container.readinessProbe);
  }

  private startWorker(t: Tracked, kind: ProbeKind, probe: Probe): void {
    const worker = new ProbeWorker({
      kind,
      probe,
      clock: this.clock,
      startedAt: t.startedAt,
      attempt: (signal) => this.attempt(t, probe, signal),
      onResult: (result, verdict, changed) => this.onResult(t, kind, result, verdict, changed),
    });
    t.workers.set(kind, worker);
    worker.start();
  }

  private async attempt(t: Tracked, probe: Probe, signal: AbortSignal): Promise<ProbeResult> {
    if (probe.exec) return execCheck(this.o.runtime, t.nodeId, t.containerId, probe.exec.command, signal);
    const named = (probe.http ?? probe.tcp)?.host;
    const network: ProbeNetwork = named ? { kind: 'host' } : await (this.o.network ?? ((n, c, spec) => this.defaultNetwork(n, c, spec)))(t.nodeId, t.containerId, t.container);
    const host = named ?? '127.0.0.1';
    const check: NetworkCheck = probe.http ? { kind: 'http', scheme: probe.http.scheme, host, port: probe.http.port, path: probe.http.path } : { kind: 'tcp', host, port: probe.tcp!.port };
    if (network.kind === 'netns') return netnsCheck(network.pid, check, probe.timeoutSeconds * 1000, signal, this.o.checkProgram);
    return check.kind === 'http' ? httpCheck(check, signal) : tcpCheck(check.host, check.port, signal);
  }

  private async defaultNetwork(nodeId: string, containerId: string, container: ContainerConfig): Promise<ProbeNetwork> {
    const runtime = this.o.runtime.name;
    if (container.network === 'host' || runtime === 'process' || runtime === 'simulated') return { kind: 'host' };
    const pid = (await this.o.runtime.getContainerStatus(nodeId, containerId).catch(() => undefined))?.pid;
    return pid ? { kind: 'netns', pid } : { kind: 'host' };
  }

  private onResult(t: Tracked, kind: ProbeKind, result: ProbeResult, verdict: boolean, changed: boolean): void {
    if (this.containers.get(t.containerId) !== t) return;
    if (!result.ok) {
      const message = `${TITLE[kind]} probe failed: ${result.output || 'no output'}`;
      this.o.onEvent?.({ nodeId: t.nodeId, instance: t.instance, container: t.container.name, probe: kind, reason: 'Unhealthy', message });
    }
    if (!changed) return;
    this.log.debug({ containerId: t.containerId, probe: kind, passing: verdict }, 'probe verdict changed');
    switch (kind) {
      case 'readiness':
        t.ready = verdict;
        break;
      case 'startup':
        t.workers.get('startup')?.stop();
        t.workers.delete('startup');
        if (verdict) {
          t.started = true;
          this.startMain(t);
          if (t.ready) break; // no readiness probe: the container is ready now
          return;
        }
        this.fail(t, `startup probe failed ${t.container.startupProbe!.failureThreshold} times: ${result.output || 'no output'}`);
        break;
      case 'liveness':
        if (verdict) return;
        this.fail(t, `failed ${t.container.livenessProbe!.failureThreshold} times: ${result.output || 'no output'}`);
        break;
    }
    for (const l of this.listeners) l(t.instance.instanceId);
  }

  /** Holds the container's probes until it is restarted, and leaves the verdict for the agent. */
  private fail(t: Tracked, reason: string): void {
    for (const w of t.workers.values()) w.stop();
    t.ready = false;
    this.livenessFailures.set(t.containerId, reason);
  }
}

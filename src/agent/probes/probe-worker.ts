import type { Clock, TimerHandle } from '../../types/clock.js';
import type { Probe } from '../../types/container.js';
import type { ProbeResult } from './probe-result.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  clock: Clock;
  /** When the container started (epoch ms, the clock's): `initialDelaySeconds` counts from here. */
  startedAt: number;
  /** One attempt; must settle soon after `signal` aborts (the timeout). Never throws. */
  attempt(signal: AbortSignal): Promise<ProbeResult>;
  /** Every attempt's result, and the verdict after it (changed or not). */
  onResult(result: ProbeResult, verdict: boolean, changed: boolean): void;
}

/**
 * Runs one probe of one container on its period and turns attempts into a verdict the way the
 * kubelet does: the verdict flips to failure after `failureThreshold` consecutive failures and to
 * success after `successThreshold` consecutive successes (always 1 for liveness and startup, as
 * Kubernetes requires). Before the first verdict, readiness and startup count as failing and
 * liveness as passing; reaching the first verdict, either way, is a change. Attempts never overlap: the next starts one period after the last started, or at once if
 * it ran longer than that.
 */
export class ProbeWorker {
  /** Undefined until the thresholds first give one. */
  private verdict?: boolean;
  private lastResult?: boolean;
  private run = 0;
  private timer?: TimerHandle;
  private inflight?: AbortController;
  private stopped = false;

  constructor(private readonly o: ProbeWorkerOptions) {
  }

  get passing(): boolean {
    return this.verdict ?? this.o.kind === 'liveness';
  }

  /** Schedules the first attempt, `initialDelaySeconds` after the container started. */
  start(): void {
    const { clock, probe, startedAt } = this.o;
    this.schedule(startedAt + probe.initialDelaySeconds * 1000 - clock.now());
  }

  /** Cancels the next attempt and aborts one in flight; its result is dropped. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight?.abort();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.tick(), Math.max(0, ms));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    const { clock, probe } = this.o;
    const began = clock.now();
    const abort = (this.inflight = new AbortController());
    const timeout = clock.setTimeout(() => abort.abort(), probe.timeoutSeconds * 1000);
    timeout.unref?.();
    let result: ProbeResult;
    try {
      result = await this.o.attempt(abort.signal);
    } catch (err) {
      result = { ok: false, output: err instanceof Error ? err.message : String(err) };
    } finally {
      clock.clearTimeout(timeout);
      this.inflight = undefined;
    }
    if (this.stopped) return;
    const changed = this.observe(result.ok);
    this.o.onResult(result, this.passing, changed);
    this.schedule(began + probe.periodSeconds * 1000 - clock.now());
  }

  /** Counts the attempt; returns whether the verdict changed. */
  private observe(ok: boolean): boolean {
    this.run = this.lastResult === ok ? this.run + 1 : 1;
    this.lastResult = ok;
    const needed = ok ? (this.o.kind === 'readiness' ? this.o.probe.successThreshold : 1) : this.o.probe.failureThreshold;
    if (this.run < needed || this.verdict === ok) return false;
    this.verdict = ok;
    return true;
  }
}

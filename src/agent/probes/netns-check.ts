import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HttpTarget } from './http-check.js';
import { clip, type ProbeResult } from './probe-result.js';

export type NetworkCheck = ({ kind: 'http' } & HttpTarget) | { kind: 'tcp'; host: string; port: number };

/** How to start the check program: node's extra arguments and the script (netns-probe-main). */
export interface CheckProgram {
  nodeArgs: string[];
  script: string;
}

export const DEFAULT_CHECK_PROGRAM: CheckProgram = { nodeArgs: [], script: fileURLToPath(new URL('./netns-probe-main.js', import.meta.url)) };

/** How long entering the namespace and starting the check program may take beyond the probe's timeout. */
export const ENTER_ALLOWANCE_MS = 5000;

/**
 * An http or tcp check made from inside the network namespace of process `pid` (a container's
 * first process): `nsenter --target PID --net` runs netns-probe-main with this Node. That is how
 * a container with its own network namespace is reached at 127.0.0.1 without any network set up
 * for it. Needs root (CAP_SYS_ADMIN), as the OCI runtime does.
 *
 * `timeoutMs` bounds the check itself, inside the namespace, as the kubelet's timeout bounds the
 * request and not the kubelet's own work: starting the program (about a second on a loaded machine)
 * does not count. So an abort of `signal` (the prober's timeout) leaves the program
 * ENTER_ALLOWANCE_MS to report before it is killed.
 */
export function netnsCheck(pid: number, check: NetworkCheck, timeoutMs: number, signal: AbortSignal, program: CheckProgram = DEFAULT_CHECK_PROGRAM): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn('nsenter', ['--target', String(pid), '--net', '--', process.execPath, ...program.nodeArgs, program.script, JSON.stringify({ ...check, timeoutMs })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    let killer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      killer = setTimeout(() => child.kill('SIGKILL'), ENTER_ALLOWANCE_MS);
      killer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killer);
      resolve({ ok: false, output: `cannot enter the network namespace of pid ${pid}: ${e.message}` });
    });
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killer);
      try {
        const r = JSON.parse(out) as ProbeResult;
        resolve({ ok: r.ok === true, output: clip(String(r.output ?? '')) });
      } catch {
        const why = sig === 'SIGKILL' && signal.aborted ? 'timed out' : `failed (exit ${code ?? sig}): ${err || out}`;
        resolve({ ok: false, output: clip(`${check.kind} check in the network namespace of pid ${pid} ${why}`) });
      }
    });
  });
}

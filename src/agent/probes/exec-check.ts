import { finished } from 'node:stream/promises';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { clip, type ProbeResult } from './probe-result.js';

/**
 * An exec probe: the command runs in the container (through the runtime's exec; the process runtime
 * runs it on the host in the container's environment and directory); success is exit code 0.
 * Its output (stdout then stderr) is kept for the event. Aborting `signal` kills it.
 */
export async function execCheck(runtime: ContainerRuntime, nodeId: string, containerId: string, command: string[], signal: AbortSignal): Promise<ProbeResult> {
  if (!runtime.exec) return { ok: false, output: `the ${runtime.name} runtime cannot run exec probes` };
  let out = '';
  const keep = (chunk: Buffer | string) => {
    if (out.length < 4096) out += chunk.toString();
  };
  try {
    const session = await runtime.exec(nodeId, containerId, command, { signal });
    session.stdout.on('data', keep);
    session.stderr.on('data', keep);
    const aborted = new Promise<'timeout'>((resolve) => {
      if (signal.aborted) resolve('timeout');
      else signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    // Output may still be in flight when the exit code is known: wait for both streams to end.
    const drained = Promise.all([session.stdout, session.stderr].map((st) => finished(st).catch(() => undefined)));
    const code = await Promise.race([Promise.all([session.exitCode, drained]).then(([c]) => c), aborted]);
    if (code === 'timeout' || signal.aborted) return { ok: false, output: clip(`command ${JSON.stringify(command)} timed out${out ? `: ${out}` : ''}`) };
    if (code === 0) return { ok: true, output: clip(out) };
    return { ok: false, output: clip(out || `command ${JSON.stringify(command)} exited with code ${code}`) };
  } catch (err) {
    return { ok: false, output: clip(err instanceof Error ? err.message : String(err)) };
  }
}

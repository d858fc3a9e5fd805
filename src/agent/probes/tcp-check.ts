import { connect } from 'node:net';
import type { ProbeResult } from './probe-result.js';

/**
 * A TCP probe: success when a connection to host:port opens (nothing is sent). Closed as soon as
 * it opens. `signal` aborts it (the prober's timeout).
 */
export function tcpCheck(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: ProbeResult) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => done({ ok: false, output: `dial tcp ${host}:${port}: timed out` });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ ok: true, output: '' }));
    socket.once('error', (err) => done({ ok: false, output: `dial tcp ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
  });
}

import http from 'node:http';
import https from 'node:https';
import type { ProbeResult } from './probe-result.js';

export interface HttpTarget {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
}

/**
 * An HTTP probe, as the kubelet makes it: one GET, success on a 2xx or 3xx status (redirects are
 * not followed; a 3xx already counts), the body read and dropped (the kubelet's event names only
 * the status, and error pages are HTML). HTTPS certificates
 * are not verified: the probe asks "does it answer", not "is it who it claims".
 */
export function httpCheck(t: HttpTarget, signal: AbortSignal): Promise<ProbeResult> {
  const url = `${t.scheme.toLowerCase()}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${t.path}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const lib = t.scheme === 'HTTPS' ? https : http;
    const req = lib.get(url, { signal, headers: { 'user-agent': 'orchestrator-probe/1', accept: '*/*', connection: 'close' }, ...(t.scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const finish = () => {
        if (status >= 200 && status < 400) done({ ok: true, output: '' });
        else done({ ok: false, output: `HTTP probe failed with statuscode: ${status}` });
      };
      res.once('end', finish);
      res.once('error', finish);
    });
    req.once('error', (err) => {
      const reason = signal.aborted ? 'timed out' : ((err as NodeJS.ErrnoException).code ?? err.message);
      done({ ok: false, output: `Get "${url}": ${reason}` });
    });
  });
}

/**
 * Runs one http or tcp check and prints its ProbeResult as JSON: the program `netnsCheck` starts
 * inside a container's network namespace (`nsenter --net`), since a process cannot switch its own.
 * Argument: `{"kind":"http",...HttpTarget,"timeoutMs":N}` or `{"kind":"tcp","host","port","timeoutMs"}`.
 */
import { httpCheck, type HttpTarget } from './http-check.js';
import { tcpCheck } from './tcp-check.js';

type Request = ({ kind: 'http' } & HttpTarget) | { kind: 'tcp'; host: string; port: number };

const req = JSON.parse(process.argv[2] ?? '{}') as Request & { timeoutMs: number };
const signal = AbortSignal.timeout(req.timeoutMs);
const result = req.kind === 'http' ? await httpCheck(req, signal) : await tcpCheck(req.host, req.port, signal);
process.stdout.write(JSON.stringify(result));

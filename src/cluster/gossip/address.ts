import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { OrchestrationError } from '../../types/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`; `defaultPort` applies when the port is left out. */
export function parseAddress(addr: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr) ?? /^([^:]+)(?::(\d+))?$/.exec(addr);
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!m || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OrchestrationError('InvalidInput', `"${addr}" is not a host:port address`);
  }
  return { host: m[1], port };
}

export function formatAddress({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The host to advertise when bound to a wildcard address: the first non-internal IPv4 address of
 * this machine, else loopback.
 */
export function defaultAdvertiseHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

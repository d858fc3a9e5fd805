import { hostname } from 'node:os';

/**
 * Every setting is a flag with an `ORCHESTRATOR_*` environment variable of the same name as
 * fallback (`--data-dir` ↔ `ORCHESTRATOR_DATA_DIR`). This returns the env value for a flag name.
 */
export function envFor(flag: string): string | undefined {
  return process.env[`ORCHESTRATOR_${flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`];
}

/** `host:port`, `:port` or `port` → [host, port]. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[2]) > 65535) throw new Error(`--listen: "${value}" is not host:port`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** The machine's hostname as a DNS label, for a node name. */
export function defaultNodeName(): string {
  const name = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return name || 'node-1';
}

export function parseLabels(values: string[] | undefined, flag = '--labels'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of (values ?? []).flatMap((x) => x.split(','))) {
    if (!v.trim()) continue;
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`${flag}: "${v}" is not key=value`);
    out[v.slice(0, eq).trim()] = v.slice(eq + 1).trim();
  }
  return out;
}

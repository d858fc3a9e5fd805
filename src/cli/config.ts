import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Connection {
  server: string;
  token?: string;
  /** Where the token came from, for error messages. */
  tokenSource: string;
}

/**
 * Where to find the cluster, in the order people expect: `--server`/`--token`, then
 * ORCHESTRATOR_SERVER / ORCHESTRATOR_TOKEN, then ~/.config/orchestrator/config.yaml (`server:` and
 * `token:` lines), then the admin token of a server started from this directory (./data/admin.token).
 * So the first tour needs no set-up at all.
 */
export function resolveConnection(flags: { server?: string; token?: string }): Connection {
  const file = readConfigFile();
  const server = flags.server ?? process.env.ORCHESTRATOR_SERVER ?? file.server ?? 'http://127.0.0.1:8080';
  if (flags.token) return { server, token: flags.token, tokenSource: '--token' };
  if (process.env.ORCHESTRATOR_TOKEN) return { server, token: process.env.ORCHESTRATOR_TOKEN, tokenSource: 'ORCHESTRATOR_TOKEN' };
  if (file.token) return { server, token: file.token, tokenSource: configPath() };
  const dataDir = process.env.ORCHESTRATOR_DATA_DIR ?? join(process.cwd(), 'data');
  const local = join(dataDir, 'admin.token');
  if (existsSync(local)) return { server, token: readFileSync(local, 'utf8').trim(), tokenSource: local };
  return { server, tokenSource: 'none' };
}

function configPath(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'orchestrator', 'config.yaml');
}

/** The config file is two `key: value` lines; read without a YAML parser to keep start-up fast. */
function readConfigFile(): { server?: string; token?: string } {
  const path = configPath();
  if (!existsSync(path)) return {};
  const out: { server?: string; token?: string } = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*(server|token)\s*:\s*["']?([^"'#\s]+)["']?/.exec(line);
    if (m) out[m[1] as 'server' | 'token'] = m[2];
  }
  return out;
}

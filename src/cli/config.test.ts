import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConnection } from './config.js';

const VARS = ['ORCHESTRATOR_SERVER', 'ORCHESTRATOR_TOKEN', 'ORCHESTRATOR_DATA_DIR', 'XDG_CONFIG_HOME'] as const;
let dir: string;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  process.env.ORCHESTRATOR_DATA_DIR = join(dir, 'data');
});

afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  rmSync(dir, { recursive: true, force: true });
});

function configFile(text: string): string {
  const path = join(dir, 'config', 'orchestrator', 'config.yaml');
  mkdirSync(join(dir, 'config', 'orchestrator'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function localAdminToken(token: string): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const path = join(dir, 'data', 'admin.token');
  writeFileSync(path, `${token}\n`);
  return path;
}

describe('resolveConnection', () => {
  it('with nothing set, talks to 127.0.0.1:8080 without a token', () => {
    expect(resolveConnection({})).toEqual({ server: 'http://127.0.0.1:8080', tokenSource: 'none' });
  });

  it('falls back to the admin token of a server started here', () => {
    const path = localAdminToken('local-secret');
    expect(resolveConnection({})).toEqual({ server: 'http://127.0.0.1:8080', token: 'local-secret', tokenSource: path });
  });

  it('prefers the config file to the local token, the environment to the file, and flags to everything', () => {
    localAdminToken('local-secret');
    const path = configFile('# my cluster\nserver: "http://10.0.0.1:8080"\ntoken: file-secret # comment\n');
    expect(resolveConnection({})).toEqual({ server: 'http://10.0.0.1:8080', token: 'file-secret', tokenSource: path });
    process.env.ORCHESTRATOR_SERVER = 'http://env:1';
    process.env.ORCHESTRATOR_TOKEN = 'env-secret';
    expect(resolveConnection({})).toEqual({ server: 'http://env:1', token: 'env-secret', tokenSource: 'ORCHESTRATOR_TOKEN' });
    expect(resolveConnection({ server: 'http://flag:2', token: 'flag-secret' })).toEqual({ server: 'http://flag:2', token: 'flag-secret', tokenSource: '--token' });
  });
});

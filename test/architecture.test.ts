import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cluster.js';

/**
 * The dependency rules of DESIGN.md and STYLE.md, checked on the source: concrete parts meet only in
 * src/bin; nothing imports the CLI or the entry points; no console output outside the CLI.
 */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.includes('.test-harness.')) out.push(path);
  }
  return out;
}

const files = sources(join(ROOT, 'src')).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
const importsOf = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
const resolveTo = (file: string, spec: string) => (spec.startsWith('.') ? join(file, '..', spec).replace(/\\/g, '/') : spec);

describe('architecture', () => {
  it('keeps the core on interfaces: no concrete store, runtime, transport or entry point', () => {
    const forbidden = [/src\/store\/(sqlite|etcd|memory)-store/, /src\/runtime\/(oci|process|simulated)\//, /src\/cluster\/gossip\//, /src\/bin\//, /src\/cli\//, /^(better-sqlite3|etcd3|fastify|node:dgram)$/];
    const offences = files
      .filter((f) => f.path.startsWith('src/core/'))
      .flatMap((f) => importsOf(f.text).map((s) => [f.path, resolveTo(f.path, s)] as const))
      .filter(([, target]) => forbidden.some((re) => re.test(target)));
    expect(offences).toEqual([]);
  });

  it('lets nothing outside them import the CLI or the entry points', () => {
    const offences = files
      .filter((f) => !f.path.startsWith('src/bin/') && !f.path.startsWith('src/cli/'))
      .flatMap((f) => importsOf(f.text).map((s) => [f.path, resolveTo(f.path, s)] as const))
      .filter(([, target]) => /src\/(bin|cli)\//.test(target));
    expect(offences).toEqual([]);
  });

  it('keeps types free of every other folder', () => {
    const offences = files
      .filter((f) => f.path.startsWith('src/types/'))
      .flatMap((f) => importsOf(f.text).map((s) => [f.path, resolveTo(f.path, s)] as const))
      .filter(([, target]) => /src\/(?!types\/)/.test(target));
    expect(offences).toEqual([]);
  });

  it('writes no console output outside the CLI', () => {
    const offences = files.filter((f) => !f.path.startsWith('src/cli/') && /\bconsole\.(log|error|warn|info|debug)\(/.test(f.text)).map((f) => f.path);
    expect(offences).toEqual([]);
  });
});

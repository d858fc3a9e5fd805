import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/**
 * Tests that need a part of the system (root, runc, etcd, a registry, CNI plugins) ask here. Where
 * the part is missing they skip with a printed reason, except under ORCH_REQUIRE_SYSTEM=1 (CI),
 * where a missing part fails the run instead of hiding a suite.
 */
export const REQUIRE_SYSTEM = process.env.ORCH_REQUIRE_SYSTEM === '1';

export function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(`${dir}/${bin}`, constants.X_OK);
      return `${dir}/${bin}`;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The first missing requirement, or undefined when all are there. */
export function missing(requirements: Array<'root' | { bin: string } | { check: () => boolean; what: string }>): string | undefined {
  for (const r of requirements) {
    if (r === 'root') {
      if (!isRoot()) return 'needs root';
    } else if ('bin' in r) {
      if (!which(r.bin)) return `needs ${r.bin} on PATH`;
    } else if (!r.check()) return `needs ${r.what}`;
  }
  return undefined;
}

/**
 * `describe.skipIf(skip)(...)` with the reason printed, or a thrown error under ORCH_REQUIRE_SYSTEM=1.
 * Call at module level: `const skip = systemSkip('runc containers', ['root', { bin: 'runc' }]);`
 */
export function systemSkip(suite: string, requirements: Parameters<typeof missing>[0]): boolean {
  const reason = missing(requirements);
  if (!reason) return false;
  if (REQUIRE_SYSTEM) throw new Error(`${suite}: ${reason}, and ORCH_REQUIRE_SYSTEM=1 forbids skipping`);
  process.stderr.write(`SKIP ${suite}: ${reason}\n`);
  return true;
}

export function commandWorks(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

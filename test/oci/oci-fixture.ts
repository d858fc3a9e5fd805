import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerBehaviour } from '../contracts/container-runtime.contract.js';
import type { ContainerConfig } from '../../src/types/container.js';
import { createImageStore, type ImageStore } from '../../src/runtime/images/index.js';
import { createOciRuntime } from '../../src/runtime/oci/index.js';
import { silentLogger } from '../../src/types/logger.js';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { systemSkip } from '../support/system.js';

/** What the runc suites need, checked once: they skip (or fail under ORCH_REQUIRE_SYSTEM=1) without it. */
export const ociRequirements = ['root', { bin: 'runc' }, { bin: 'conmon' }, { bin: 'setfattr' }, { bin: 'busybox' }, { bin: 'script' }] as const;
export function skipOci(suite: string): boolean {
  return systemSkip(suite, [...ociRequirements]);
}

export const BUSYBOX_REF = 'localhost/busybox:1.0';

/** A temp dir with an image store holding the busybox image, and a factory for runtimes over it. */
export async function ociWorld(): Promise<{ dir: string; images: ImageStore; runtime: (dataDir?: string) => ReturnType<typeof createOciRuntime>; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-oci-'));
  const built = await buildBusyboxImage(dir, '1.0');
  const images = createImageStore({ root: join(dir, 'images'), logger: silentLogger });
  await images.importArchive(built.archive, { name: 'localhost/busybox' });
  return {
    dir,
    images,
    runtime: (dataDir = join(dir, 'runtime')) => createOciRuntime({ dataDir, logger: silentLogger, images }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The contract's behaviours as busybox commands; text reaches the script as arguments, never as code. */
export function busyboxCommand(b: ContainerBehaviour): Partial<ContainerConfig> {
  const image = BUSYBOX_REF;
  switch (b.kind) {
    case 'runsForever':
      return { image, command: ['sh', '-c', '[ -n "$1" ] && echo "$1"; trap "exit 143" TERM; while :; do sleep 1 & wait $!; done', 'sh', b.prints ?? ''] };
    case 'exits':
      return {
        image,
        command: ['sh', '-c', 'code=$1; after=$2; then=$3; shift 3; for l in "$@"; do echo "$l"; done; [ "$after" != 0 ] && sleep "$after"; [ -n "$then" ] && echo "$then"; exit "$code"',
          'sh', String(b.exitCode), String((b.afterMs ?? 0) / 1000), b.thenPrints ?? '', ...b.prints],
      };
    case 'ignoresSigterm':
      return { image, command: ['sh', '-c', 'trap "" TERM; echo "$1"; while :; do sleep 1; done', 'sh', b.prints] };
    case 'printsEnv':
      return { image, command: ['awk', 'BEGIN { print ENVIRON[ARGV[1]] }', b.variable] };
    case 'cannotStart':
      return { image, command: ['/no/such/program'] };
  }
}

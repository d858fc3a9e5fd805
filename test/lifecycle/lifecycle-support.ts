import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { WorkloadInstance } from '../../src/types/instance.js';
import { silentLogger } from '../../src/types/logger.js';
import { skipOci } from '../oci/oci-fixture.js';
import type { ApiProcess, CliResult } from '../support/cluster.js';

/**
 * What the lifecycle tests share: workloads applied through the real CLI from a file, the API's view
 * of instances, and free loopback ports. Commands are POSIX shell with busybox applets, which the
 * process runtime runs on the host and an OCI busybox image has too.
 */

/** The runtimes the rollout and liveness tests run on. OCI joins once its image support lands. */
export const LIFECYCLE_RUNTIMES = ['process'] as const;

/**
 * A runtime the spawned server runs containers on, with the image the workloads name and what its
 * data dir needs first. `process` ignores images; `oci` (runc) gets the busybox image built from
 * Debian's busybox-static imported into the server's image store, so nothing is pulled.
 */
export interface RuntimeCase {
  runtime: 'process' | 'oci';
  image: string;
  /** Containers have their own network: the host's loopback does not reach them. */
  ownNetwork: boolean;
  prepare(dataDir: string): Promise<void>;
}

export const PROCESS_CASE: RuntimeCase = { runtime: 'process', image: 'busybox', ownNetwork: false, prepare: async () => {} };

export const OCI_CASE: RuntimeCase = {
  runtime: 'oci',
  image: 'localhost/busybox:1.0',
  ownNetwork: true,
  prepare: async (dataDir) => {
    const { buildBusyboxImage } = await import('../support/busybox-image.js');
    const { createImageStore } = await import('../../src/runtime/images/index.js');
    const built = await buildBusyboxImage(join(dataDir, 'image-build'), '1.0');
    const images = createImageStore({ root: join(dataDir, 'images'), logger: silentLogger });
    await images.importArchive(built.archive, { name: 'localhost/busybox' });
  },
};

/** The cases to run: process always, oci where runc and its helpers are there (skipped with a reason otherwise). */
export function runtimeCases(suite: string): RuntimeCase[] {
  return skipOci(`${suite} on runc`) ? [PROCESS_CASE] : [PROCESS_CASE, OCI_CASE];
}

/** Writes `spec` (JSON is YAML) next to the data dir and runs `workload apply -f` on it. */
export async function apply(api: ApiProcess, spec: Record<string, unknown>): Promise<CliResult> {
  const file = join(api.dataDir, `${String(spec.name)}-${Date.now()}.yaml`);
  writeFileSync(file, JSON.stringify(spec, null, 2));
  const r = await api.cli(['workload', 'apply', '-f', file]);
  if (r.code !== 0) throw new Error(`workload apply failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

/** The workload's instances that are not on their way out. */
export async function liveInstances(api: ApiProcess, workload: string): Promise<WorkloadInstance[]> {
  const { items } = await api.client.listInstances({ workload });
  return items.filter((i) => !i.deletionRequestedAt && i.status !== 'Terminating');
}

/** Instances a user would call ready: running, passing readiness, not being removed. */
export function readyOnes(items: WorkloadInstance[]): WorkloadInstance[] {
  return items.filter((i) => i.ready && i.status === 'Running' && !i.deletionRequestedAt);
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Samples `fn` every `everyMs` until `stop()` is called; resolves with every sample. */
export function sampler<T>(fn: () => Promise<T>, everyMs = 100): { stop(): Promise<T[]> } {
  const samples: T[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        samples.push(await fn());
      } catch {
        /* a failed sample is skipped, not counted */
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

export const sh = (script: string): string[] => ['/bin/sh', '-c', script];

import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../types/clock.js';
import { OrchestrationError } from '../types/errors.js';
import type { Logger } from '../types/logger.js';
import type { ContainerRuntime } from './container-runtime.js';
import { ProcessRuntime } from './process/process-runtime.js';
import { SimulatedRuntime } from './simulated/simulated-runtime.js';

export * from './container-runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './process/process-runtime.js';
export { SimulatedRuntime, type SimulatedRuntimeOptions } from './simulated/simulated-runtime.js';

export const RUNTIME_NAMES = ['oci', 'process', 'simulated'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/** What every runtime may be given; each takes what it needs. */
export interface RuntimeOptions {
  /** The runtime's own directory (container state, logs, bundles), under the agent's data dir. */
  dataDir: string;
  logger?: Logger;
  /** Drives the simulated runtime's scripted delays. */
  clock?: Clock;
  /**
   * Further options for one runtime, passed through as given: the process runtime's `pollMs`,
   * `maxLogBytes`, `supervise` (ProcessRuntimeOptions); the OCI runtime's own.
   */
  [option: string]: unknown;
}

/**
 * Builds the runtime named `name` (the composition root in `bin/` calls this; nothing else should pick a
 * runtime). The OCI runtime is imported only when asked for, so the process path never loads it.
 */
export async function createRuntime(name: RuntimeName, options: RuntimeOptions): Promise<ContainerRuntime> {
  switch (name) {
    case 'process':
      return new ProcessRuntime({
        dataDir: options.dataDir,
        logger: options.logger,
        pollMs: optionalNumber(options.pollMs),
        maxLogBytes: optionalNumber(options.maxLogBytes),
        supervise: typeof options.supervise === 'boolean' ? options.supervise : undefined,
      });
    case 'simulated':
      return new SimulatedRuntime({ clock: options.clock });
    case 'oci':
      return createOci(options);
    default:
      throw new OrchestrationError('InvalidInput', `unknown runtime "${String(name)}": use one of ${RUNTIME_NAMES.join(', ')}`);
  }
}

/**
 * The hook for the OCI runtime: src/runtime/oci/index.ts exports
 * `createOciRuntime(options: RuntimeOptions): ContainerRuntime | Promise<ContainerRuntime>`; its
 * options also need `images` (an ImageStore), which the composition root provides.
 * The specifier is a variable so that this file compiles before that module exists.
 */
async function createOci(options: RuntimeOptions): Promise<ContainerRuntime> {
  if (!options.images) throw new OrchestrationError('RuntimeError', 'the OCI runtime needs `images`: an ImageStore (createImageStore from src/runtime/images)');
  const specifier = './oci/index.js';
  let mod: { createOciRuntime?: (o: RuntimeOptions) => ContainerRuntime | Promise<ContainerRuntime> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    throw new OrchestrationError('RuntimeError', 'the OCI runtime is not available in this build', { cause: err });
  }
  if (typeof mod.createOciRuntime !== 'function') throw new OrchestrationError('RuntimeError', 'src/runtime/oci/index.ts does not export createOciRuntime');
  return mod.createOciRuntime(options);
}

/**
 * The runtime a node should use when none is configured: `oci` where runc is usable (we are root and
 * runc is on PATH), else `process`. The simulated runtime is never detected, only asked for.
 */
export function detectRuntime(env: NodeJS.ProcessEnv = process.env): 'oci' | 'process' {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root && onPath('runc', env.PATH) ? 'oci' : 'process';
}

function optionalNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function onPath(bin: string, path: string | undefined): boolean {
  for (const dir of (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      /* not in this directory */
    }
  }
  return false;
}

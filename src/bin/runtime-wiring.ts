import { join } from 'node:path';
import { createRuntime, detectRuntime, type RuntimeName } from '../runtime/index.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { Logger } from '../types/logger.js';

export interface RuntimeChoice {
  runtime: ContainerRuntime;
  /** The image store, for the OCI runtime (image commands of the API use it). */
  images?: import('../runtime/images/index.js').ImageStore;
}

/**
 * Builds the node's runtime: `auto` is runc where it can work (root and runc present) and plain
 * processes elsewhere. The OCI runtime gets an image store under the data dir; registries listed in
 * ORCHESTRATOR_INSECURE_REGISTRIES (`host:port,…`) are reached over plain HTTP.
 */
export async function openRuntime(name: string, dataDir: string, log: Logger): Promise<RuntimeChoice> {
  const choice = (name === 'auto' ? detectRuntime() : name) as RuntimeName;
  const options = { dataDir: join(dataDir, 'runtime', choice), logger: log.child({ component: `runtime-${choice}` }) };
  if (choice !== 'oci') return { runtime: await createRuntime(choice, options) };
  try {
    const { createImageStore } = await import('../runtime/images/index.js');
    const registries: Record<string, { scheme: 'http' }> = {};
    for (const host of (process.env.ORCHESTRATOR_INSECURE_REGISTRIES ?? '').split(',').map((h) => h.trim()).filter(Boolean)) registries[host] = { scheme: 'http' };
    const images = createImageStore({ root: join(dataDir, 'images'), logger: log.child({ component: 'images' }), registries });
    const runtime = await createRuntime('oci', { ...options, images, runtimeBinary: process.env.ORCHESTRATOR_RUNTIME_BINARY });
    return { runtime, images };
  } catch (err) {
    if (name !== 'auto') throw err;
    log.warn({ err: String(err) }, 'runc found but the OCI runtime could not start; using the process runtime');
    return { runtime: await createRuntime('process', { ...options, dataDir: join(dataDir, 'runtime', 'process') }) };
  }
}

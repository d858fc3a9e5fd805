import { z } from 'zod';
import { labelKey, nonNegativeInt, positiveInt } from './common.js';

/** What a container asks for, or is limited to. Extended resources (`gpu`) are whole units. */
export const resourceRequirementsSchema = z.strictObject({
  cpuMillicores: nonNegativeInt(1_000_000).optional(),
  memoryMb: positiveInt(16 * 1024 * 1024).optional(),
  diskMb: nonNegativeInt(1024 * 1024 * 1024).optional(),
  extended: z.record(labelKey, nonNegativeInt(1_000_000)).optional(),
});
export type ResourceRequirements = z.infer<typeof resourceRequirementsSchema>;

/** A node's size as the seed gives it: whole cores, megabytes. */
export const nodeResourcesSchema = z.strictObject({
  cpuCores: z.number({ error: 'must be a number' }).positive({ error: 'must be positive' }).max(100_000),
  memoryMb: positiveInt(),
  diskMb: nonNegativeInt(),
  extended: z.record(labelKey, nonNegativeInt()).optional(),
});
export type NodeResources = z.infer<typeof nodeResourcesSchema>;

/**
 * The one unit the scheduler adds and compares: millicores, megabytes and extended counts. Kept as
 * a plain object so per-node sums stay cheap to update incrementally.
 */
export interface ResourceVector {
  cpuMillicores: number;
  memoryMb: number;
  diskMb: number;
  extended: Record<string, number>;
}

export function emptyVector(): ResourceVector {
  return { cpuMillicores: 0, memoryMb: 0, diskMb: 0, extended: {} };
}

export function capacityVector(r: NodeResources): ResourceVector {
  return { cpuMillicores: Math.round(r.cpuCores * 1000), memoryMb: r.memoryMb, diskMb: r.diskMb, extended: { ...(r.extended ?? {}) } };
}

export function requestVector(r: ResourceRequirements | undefined): ResourceVector {
  return { cpuMillicores: r?.cpuMillicores ?? 0, memoryMb: r?.memoryMb ?? 0, diskMb: r?.diskMb ?? 0, extended: { ...(r?.extended ?? {}) } };
}

/** a += sign * b, in place. */
export function addInto(a: ResourceVector, b: ResourceVector, sign: 1 | -1 = 1): ResourceVector {
  a.cpuMillicores += sign * b.cpuMillicores;
  a.memoryMb += sign * b.memoryMb;
  a.diskMb += sign * b.diskMb;
  for (const [k, v] of Object.entries(b.extended)) a.extended[k] = (a.extended[k] ?? 0) + sign * v;
  return a;
}

export function sumVectors(vs: Iterable<ResourceVector>): ResourceVector {
  const out = emptyVector();
  for (const v of vs) addInto(out, v);
  return out;
}

import { OrchestrationError } from '../../types/errors.js';

/** `sinceRevision` of a watch: absent, or a non-negative integer. */
export function revisionParam(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw OrchestrationError.invalidInput([{ path: 'sinceRevision', message: 'must be a non-negative integer' }], 'query');
  return Number(v);
}

/** `limit` of a list: `fallback` when absent, otherwise a whole number from `min` (to `max`, when given). */
export function limitParam(v: string | undefined, range: { fallback: number; min: number; max?: number }): number {
  if (v === undefined) return range.fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < range.min || (range.max !== undefined && n > range.max)) {
    const bounds = range.max === undefined ? `${range.min} or more` : `from ${range.min} to ${range.max}`;
    throw OrchestrationError.invalidInput([{ path: 'limit', message: `must be a whole number ${bounds}` }], 'query');
  }
  return n;
}

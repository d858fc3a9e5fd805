import type { Taint, TaintEffect, Toleration } from '../types/placement.js';

/** Kubernetes' ToleratesTaint: effect, key and value (Equal) or presence (Exists) all agree. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  const op = t.operator ?? 'Equal';
  if (t.key === undefined || t.key === '') return op === 'Exists';
  if (t.key !== taint.key) return false;
  return op === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

export function isTolerated(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function firstUntolerated(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined, effects: readonly TaintEffect[]): Taint | undefined {
  for (const taint of taints) if (effects.includes(taint.effect) && !isTolerated(taint, tolerations)) return taint;
  return undefined;
}

/** `gpu=true:NoSchedule`, or `dedicated:NoExecute` without a value. */
export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

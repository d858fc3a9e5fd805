import { z } from 'zod';

/** A DNS-1123 label: what Kubernetes accepts as an object name, so names map one to one later. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dnsLabel = z
  .string()
  .max(63, { error: 'must be at most 63 characters' })
  .regex(DNS_LABEL, { error: 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit' });

/** Label keys: an optional DNS prefix and a name, as Kubernetes allows (`zone`, `topology.example.com/zone`). */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const labelKey = z.string().max(253).regex(LABEL_KEY, { error: 'must be a label key: letters, digits, "-", "_", "." with an optional "prefix/"' });
export const labelValue = z.string().max(63).regex(LABEL_VALUE, { error: 'must be a label value: at most 63 letters, digits, "-", "_", "."' });
export const labels = z.record(labelKey, labelValue);
export type Labels = Record<string, string>;

export const nonNegativeInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' }).max(max);
export const positiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }).max(max);

/** Server-kept metadata every stored object has, named as Kubernetes names it. */
export interface ObjectMeta {
  /** Revision of the store at the object's last write; send it back to update, a stale one gets 409. */
  resourceVersion: string;
  /** ISO-8601 time of creation. */
  createdAt: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function looksLikeUuid(s: string): boolean {
  return UUID.test(s);
}

import { z } from 'zod';
import { labelKey, labels, labelValue, nonNegativeInt, positiveInt } from './common.js';

/** Selector operators over labels, as Kubernetes has them; Gt/Lt compare integer label values. */
export const selectorRequirementSchema = z.strictObject({
  key: labelKey,
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(labelValue).max(256).optional(),
}).superRefine((req, ctx) => {
  const n = req.values?.length ?? 0;
  if ((req.operator === 'In' || req.operator === 'NotIn') && n === 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `must have at least one value for ${req.operator}` });
  if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && n > 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `must be empty for ${req.operator}` });
  if ((req.operator === 'Gt' || req.operator === 'Lt') && (n !== 1 || !/^-?\d+$/.test(req.values![0]))) ctx.addIssue({ code: 'custom', path: ['values'], message: `must be one integer for ${req.operator}` });
});
export type SelectorRequirement = z.infer<typeof selectorRequirementSchema>;

export const labelSelectorSchema = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z.array(selectorRequirementSchema).max(64).optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** A node selector term: its requirements all hold (AND); a list of terms matches if any does (OR). */
export const nodeSelectorTermSchema = z.strictObject({ matchExpressions: z.array(selectorRequirementSchema).min(1).max(64) });
export type NodeSelectorTerm = z.infer<typeof nodeSelectorTermSchema>;

const weight = z.int({ error: 'must be an integer from 1 to 100' }).min(1, { error: 'must be an integer from 1 to 100' }).max(100, { error: 'must be an integer from 1 to 100' });

export const instanceAffinityTermSchema = z.strictObject({
  labelSelector: labelSelectorSchema,
  /** Node label whose value names the domain (`kubernetes.io/hostname`-like `node`, or `zone`). */
  topologyKey: labelKey,
});
export type InstanceAffinityTerm = z.infer<typeof instanceAffinityTermSchema>;

const instanceAffinitySchema = z.strictObject({
  required: z.array(instanceAffinityTermSchema).max(16).optional(),
  preferred: z.array(z.strictObject({ weight, term: instanceAffinityTermSchema })).max(16).optional(),
});

export const affinitySchema = z.strictObject({
  nodeAffinity: z
    .strictObject({
      required: z.array(nodeSelectorTermSchema).min(1).max(16).optional(),
      preferred: z.array(z.strictObject({ weight, term: nodeSelectorTermSchema })).max(16).optional(),
    })
    .optional(),
  instanceAffinity: instanceAffinitySchema.optional(),
  instanceAntiAffinity: instanceAffinitySchema.optional(),
});
export type Affinity = z.infer<typeof affinitySchema>;

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export const taintSchema = z.strictObject({ key: labelKey, value: labelValue.optional(), effect: z.enum(TAINT_EFFECTS) });
export type Taint = z.infer<typeof taintSchema>;

export const tolerationSchema = z.strictObject({
  key: labelKey.optional(),
  operator: z.enum(['Equal', 'Exists']).default('Equal'),
  value: labelValue.optional(),
  effect: z.enum(TAINT_EFFECTS).optional(),
  tolerationSeconds: nonNegativeInt().optional(),
});
export type Toleration = z.infer<typeof tolerationSchema>;

export const topologySpreadSchema = z.strictObject({
  maxSkew: positiveInt(1000),
  topologyKey: labelKey,
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']).default('DoNotSchedule'),
  /** Which instances count; defaults to the workload's own. */
  labelSelector: labelSelectorSchema.optional(),
});
export type TopologySpreadConstraint = z.infer<typeof topologySpreadSchema>;

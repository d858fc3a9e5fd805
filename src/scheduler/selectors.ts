import type { Node } from '../types/node.js';
import type { LabelSelector, NodeSelectorTerm, SelectorRequirement } from '../types/placement.js';
import type { BoundInstance, InstanceIndex } from './scheduler.js';

/**
 * Topology keys that name a single node when the node has no such label: `node` (this system's
 * pseudo-label) and Kubernetes' `kubernetes.io/hostname`. Their value is the node's name.
 */
export const HOSTNAME_KEYS: ReadonlySet<string> = new Set(['node', 'kubernetes.io/hostname']);

/** The value of label `key` on a node, the pseudo-labels included; undefined when absent. */
export function nodeLabel(node: Node, key: string): string | undefined {
  const v = node.labels[key];
  if (v !== undefined) return v;
  return HOSTNAME_KEYS.has(key) ? node.name : undefined;
}

type Labels = Record<string, string>;
type LabelReader = (key: string) => string | undefined;

/** One requirement against a label reader, with Kubernetes' semantics for absent labels. */
function requirementHolds(req: SelectorRequirement, read: LabelReader): boolean {
  const v = read(req.key);
  switch (req.operator) {
    case 'In':
      return v !== undefined && (req.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(req.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      if (v === undefined || !/^-?\d+$/.test(v)) return false;
      const have = Number(v);
      const bound = Number(req.values?.[0]);
      return req.operator === 'Gt' ? have > bound : have < bound;
    }
  }
}

/** A node selector term (all requirements hold) against a node's labels, pseudo-labels included. */
export function nodeTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const read = (k: string) => nodeLabel(node, k);
  return term.matchExpressions.every((r) => requirementHolds(r, read));
}

/** `nodeSelector`: every key has exactly the value; `undefined` when all match, else the first key that does not. */
export function nodeSelectorMismatch(selector: Labels, node: Node): string | undefined {
  for (const k in selector) if (nodeLabel(node, k) !== selector[k]) return k;
  return undefined;
}

/**
 * A label selector over instance labels, compiled once per schedule call. `candidates` narrows the
 * instances to test through the index: by an equality requirement when there is one (so
 * `app=web` looks at web's instances, not all of them), else every instance.
 */
export class CompiledSelector {
  private readonly equal: [string, string][];
  private readonly exprs: SelectorRequirement[];
  private text: string | undefined;

  constructor(selector: LabelSelector) {
    this.equal = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.exprs = selector.matchExpressions ?? [];
  }

  /** Stable text of the selector, to share counters between terms that use the same one. */
  get key(): string {
    return (this.text ??= JSON.stringify([this.equal, this.exprs.map((e) => [e.key, e.operator, e.values ?? []])]));
  }

  matches(labels: Labels): boolean {
    for (const [k, v] of this.equal) if (labels[k] !== v) return false;
    if (this.exprs.length === 0) return true;
    const read = (k: string) => labels[k];
    return this.exprs.every((r) => requirementHolds(r, read));
  }

  *candidates(index: InstanceIndex): Iterable<BoundInstance> {
    const source = this.narrowest(index);
    for (const b of source) if (this.matches(b.instance.labels)) yield b;
  }

  private narrowest(index: InstanceIndex): Iterable<BoundInstance> {
    if (this.equal.length > 0) return index.withLabel(this.equal[0][0], this.equal[0][1]);
    const inExpr = this.exprs.find((e) => e.operator === 'In');
    if (inExpr) return flatten((inExpr.values ?? []).map((v) => index.withLabel(inExpr.key, v)));
    return index.all();
  }
}

function* flatten<T>(sources: Iterable<T>[]): Iterable<T> {
  for (const s of sources) yield* s;
}

const compiled = new WeakMap<LabelSelector, CompiledSelector>();

/** The compiled form of a selector object, kept as long as the object (a stored workload's terms live across calls). */
export function compileSelector(selector: LabelSelector): CompiledSelector {
  let c = compiled.get(selector);
  if (!c) compiled.set(selector, (c = new CompiledSelector(selector)));
  return c;
}

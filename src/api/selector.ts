import { OrchestrationError } from '../types/errors.js';

export type Selector = Array<{ key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string }>;

/** Parses kubectl's equality selector syntax: `app=web,tier!=db,canary,!legacy`. */
export function parseSelector(text: string | undefined): Selector {
  if (!text) return [];
  return text.split(',').map((part) => {
    const p = part.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(p))) return { key: m[1], op: '!=' as const, value: m[2] };
    if ((m = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(p))) return { key: m[1], op: '=' as const, value: m[2] };
    if ((m = /^!([^!=\s]+)$/.exec(p))) return { key: m[1], op: '!exists' as const };
    if ((m = /^([^!=\s]+)$/.exec(p))) return { key: m[1], op: 'exists' as const };
    throw OrchestrationError.invalidInput([{ path: 'labelSelector', message: `cannot parse "${p}"; use k=v, k!=v, k or !k separated by commas` }], 'query');
  });
}

export function matchesSelector(selector: Selector, labels: Record<string, string>): boolean {
  return selector.every((s) => {
    const v = labels[s.key];
    switch (s.op) {
      case '=':
        return v === s.value;
      case '!=':
        return v !== s.value;
      case 'exists':
        return v !== undefined;
      case '!exists':
        return v === undefined;
    }
  });
}

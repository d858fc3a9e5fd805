import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments, isCollection, type Document } from 'yaml';
import type { FieldError } from '../types/errors.js';
import { validate } from '../types/validation.js';
import { workloadSpecSchema } from '../types/workload.js';

export interface ManifestDocument {
  /** 1-based document number in the file. */
  index: number;
  /** Line the document starts on. */
  line: number;
  value: unknown;
}

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Reads a workload file: YAML or JSON, several documents separated by `---`. Every document is
 * checked against the workload schema before anything is sent, and each problem is reported as
 * `FILE:LINE: path: message`, so nothing is created when any document is wrong.
 */
export function loadWorkloadFile(path: string, text = readText(path)): ManifestDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const problems: string[] = [];
  const out: ManifestDocument[] = [];
  list.forEach((doc, k) => {
    const start = lines.linePos(doc.range?.[0] ?? 0).line;
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      problems.push(`${path}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`);
    }
    if (doc.errors.length > 0) return;
    const value = doc.toJS();
    if (value === null || value === undefined) return; // an empty document (trailing ---)
    const result = validate(workloadSpecSchema, value);
    if (!result.ok) {
      for (const f of result.fields) problems.push(`${path}:${lineOf(doc, lines, f) ?? start}: ${f.path || '(document)'}: ${f.message}`);
      return;
    }
    out.push({ index: k + 1, line: start, value });
  });
  if (problems.length > 0) throw new ManifestError(problems);
  if (out.length === 0) throw new ManifestError([`${path}: no workload in the file`]);
  return out;
}

function readText(path: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
}

/** The line of the field a problem names, or of its nearest parent that exists in the file. */
function lineOf(doc: Document, lines: LineCounter, f: FieldError): number | undefined {
  const path = f.path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      // For a collection, point at its key's line when we can (the line a person would edit).
      if (n > 0 && isCollection(node)) {
        const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
        const pair = isCollection(parent) ? (parent.items as Array<{ key?: { value?: unknown; range?: [number, number, number] } }>).find((p) => p.key && p.key.value === path[n - 1]) : undefined;
        if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
      }
      return lines.linePos(range[0]).line;
    }
  }
  return undefined;
}

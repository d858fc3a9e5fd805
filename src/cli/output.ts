/** How the CLI prints: aligned tables for people (kubectl's look), JSON or YAML for scripts. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export const OUTPUT_FORMATS: OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];

export function parseFormat(value: string | undefined): OutputFormat {
  const f = (value ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(f)) throw new UsageError(`-o ${value}: use one of ${OUTPUT_FORMATS.join(', ')}`);
  return f;
}

export class UsageError extends Error {}

export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === '' ? '<none>' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `3d`, `4h`, `12m`, `45s`, as kubectl shows ages. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export async function printStructured(format: 'json' | 'yaml', value: unknown): Promise<void> {
  if (format === 'json') process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else {
    const { stringify } = await import('yaml');
    process.stdout.write(stringify(value));
  }
}

/** Prints a list the way the format asks; `toRow` and `headers` make the table. */
export async function printList<T>(format: OutputFormat, items: T[], headers: string[], toRow: (t: T) => Array<string | number | undefined>, name: (t: T) => string, wide?: { headers: string[]; toRow: (t: T) => Array<string | number | undefined> }): Promise<void> {
  if (format === 'json' || format === 'yaml') return printStructured(format, { items });
  if (format === 'name') {
    process.stdout.write(items.map((i) => name(i) + '\n').join(''));
    return;
  }
  if (items.length === 0) {
    process.stderr.write('No resources found.\n');
    return;
  }
  if (format === 'wide' && wide) process.stdout.write(table(wide.headers, items.map(wide.toRow)));
  else process.stdout.write(table(headers, items.map(toRow)));
}

/** `key: value` lines for `describe`, nested objects indented. */
export function describeBlock(pairs: Array<[string, unknown]>, indent = 0): string {
  const pad = ' '.repeat(indent);
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  let out = '';
  for (const [k, v] of pairs) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      out += `${pad}${k}:${entries.length === 0 ? ' <none>' : ''}\n`;
      if (entries.length > 0) out += describeBlock(entries, indent + 2);
    } else out += `${pad}${(k + ':').padEnd(width)}${Array.isArray(v) ? (v.length ? v.join(', ') : '<none>') : String(v)}\n`;
  }
  return out;
}

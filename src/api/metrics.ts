/**
 * A small Prometheus text-format registry: counters and gauges with labels, and one latency
 * histogram. Enough for /metrics without a dependency; names follow Prometheus conventions.
 */
type Labels = Record<string, string>;

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function labelKey(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly histograms = new Map<string, { help: string; values: Map<string, { buckets: number[]; sum: number; count: number }> }>();
  private readonly gauges: Array<{ name: string; help: string; read: () => Array<[Labels, number]> }> = [];

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { help, values: new Map() }));
    const k = labelKey(labels);
    c.values.set(k, (c.values.get(k) ?? 0) + by);
  }

  observe(name: string, help: string, labels: Labels, seconds: number): void {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = { help, values: new Map() }));
    const k = labelKey(labels);
    let v = h.values.get(k);
    if (!v) h.values.set(k, (v = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) v.buckets[i]++;
    v.sum += seconds;
    v.count++;
  }

  /** A gauge read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => Array<[Labels, number]> | number): void {
    this.gauges.push({ name, help, read: () => {
      const v = read();
      return typeof v === 'number' ? [[{}, v]] : v;
    } });
  }

  render(): string {
    const out: string[] = [];
    const braces = (k: string) => (k ? `{${k}}` : '');
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [k, v] of c.values) out.push(`${name}${braces(k)} ${v}`);
    }
    for (const [name, h] of this.histograms) {
      out.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
      for (const [k, v] of h.values) {
        const sep = k ? `${k},` : '';
        BUCKETS.forEach((b, i) => out.push(`${name}_bucket{${sep}le="${b}"} ${v.buckets[i]}`));
        out.push(`${name}_bucket{${sep}le="+Inf"} ${v.count}`, `${name}_sum${braces(k)} ${v.sum}`, `${name}_count${braces(k)} ${v.count}`);
      }
    }
    for (const g of this.gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const [labels, v] of g.read()) out.push(`${g.name}${braces(labelKey(labels))} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}

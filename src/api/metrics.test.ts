import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('renders counters per label set in the Prometheus text format, escaping label values', () => {
    const m = new Metrics();
    m.inc('orchestrator_http_requests_total', 'HTTP requests', { method: 'GET', code: '200' });
    m.inc('orchestrator_http_requests_total', 'HTTP requests', { method: 'GET', code: '200' });
    m.inc('orchestrator_http_requests_total', 'HTTP requests', { method: 'GET', code: '404' }, 5);
    m.inc('weird_total', 'escapes', { v: 'a"b\\c\nd' });
    const text = m.render();
    expect(text).toContain('# HELP orchestrator_http_requests_total HTTP requests\n# TYPE orchestrator_http_requests_total counter\n');
    expect(text).toContain('orchestrator_http_requests_total{method="GET",code="200"} 2\n');
    expect(text).toContain('orchestrator_http_requests_total{method="GET",code="404"} 5\n');
    expect(text).toContain('weird_total{v="a\\"b\\\\c\\nd"} 1\n');
  });

  it('renders a histogram with cumulative buckets, +Inf, sum and count', () => {
    const m = new Metrics();
    for (const s of [0.002, 0.02, 3]) m.observe('lat_seconds', 'latency', { route: '/x' }, s);
    const text = m.render();
    expect(text).toContain('# TYPE lat_seconds histogram');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="0.001"} 0\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="0.0025"} 1\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="0.025"} 2\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="2.5"} 2\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="5"} 3\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="+Inf"} 3\n');
    expect(text).toContain('lat_seconds_sum{route="/x"} 3.022\n');
    expect(text).toContain('lat_seconds_count{route="/x"} 3\n');
  });

  it('reads gauges at render time', () => {
    const m = new Metrics();
    let queue = 1;
    m.gauge('queue_length', 'queued', () => queue);
    m.gauge('nodes', 'by status', () => [[{ status: 'Ready' }, 2], [{ status: 'Down' }, 1]]);
    expect(m.render()).toContain('queue_length 1\n');
    queue = 7;
    const text = m.render();
    expect(text).toContain('queue_length 7\n');
    expect(text).toContain('nodes{status="Ready"} 2\nnodes{status="Down"} 1\n');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkloadFile, ManifestError } from './manifest.js';

function problems(text: string, path = 'web.yaml'): string[] {
  try {
    loadWorkloadFile(path, text);
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be rejected');
}

describe('loadWorkloadFile', () => {
  it('reads every document of a multi-document YAML file with the line it starts on (its --- marker)', () => {
    const text = ['name: web', 'containers:', '  - name: main', '    image: busybox', '---', 'name: db', 'replicas: 2', 'containers:', '  - name: main', '    image: postgres', '---', ''].join('\n');
    const docs = loadWorkloadFile('two.yaml', text);
    expect(docs.map((d) => [d.index, d.line, (d.value as { name: string }).name])).toEqual([
      [1, 1, 'web'],
      [2, 5, 'db'],
    ]);
  });

  it('reads JSON too', () => {
    const docs = loadWorkloadFile('web.json', JSON.stringify({ name: 'web', containers: [{ name: 'main', image: 'busybox' }] }));
    expect(docs).toHaveLength(1);
  });

  it('names FILE:LINE and the field path of each bad field, in every document', () => {
    const text = [
      'name: web', // 1
      'replicas: -3', // 2
      'containers:', // 3
      '  - name: main', // 4
      '    image: busybox', // 5
      '    resourceRequests:', // 6
      '      cpuMillicores: lots', // 7
      '---', // 8
      'name: Bad_Name', // 9
      'containers:', // 10
      '  - name: main', // 11
      '    image: busybox', // 12
    ].join('\n');
    const p = problems(text);
    expect(p).toHaveLength(3);
    expect(p[0]).toMatch(/^web\.yaml:2: replicas: /);
    expect(p[1]).toMatch(/^web\.yaml:7: containers\[0\]\.resourceRequests\.cpuMillicores: /);
    expect(p[2]).toMatch(/^web\.yaml:9: name: /);
  });

  it('points a missing field at its parent, and an unknown field at its own line', () => {
    const p = problems(['name: web', 'containers:', '  - name: main', '    imagee: busybox'].join('\n'));
    expect(p.some((x) => /^web\.yaml:3: containers\[0\]\.image: /.test(x))).toBe(true);
    expect(p.some((x) => /^web\.yaml:\d+: .*imagee/.test(x))).toBe(true);
  });

  it('reports YAML syntax errors with line and column, and an empty file as having no workload', () => {
    const p = problems('name: web\ncontainers: [\n');
    expect(p[0]).toMatch(/^web\.yaml:\d+:\d+: /);
    expect(problems('')).toEqual(['web.yaml: no workload in the file']);
  });

  it('reads from disk, and says when a file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    try {
      const file = join(dir, 'web.yaml');
      writeFileSync(file, 'name: web\ncontainers:\n  - name: main\n    image: busybox\n');
      expect(loadWorkloadFile(file)).toHaveLength(1);
      const missing = join(dir, 'nope.yaml');
      expect(() => loadWorkloadFile(missing)).toThrow(`${missing}: cannot read: ENOENT`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

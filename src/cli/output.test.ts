import { describe, expect, it } from 'vitest';
import { age, describeBlock, parseFormat, table, UsageError } from './output.js';

describe('CLI output', () => {
  it('aligns table columns, shows empty cells as <none>, and trims trailing space', () => {
    expect(table(['NAME', 'REPLICAS', 'NODE'], [['web', 3, 'n1'], ['database', 10, undefined]])).toBe(
      ['NAME       REPLICAS   NODE', 'web        3          n1', 'database   10         <none>', ''].join('\n'),
    );
  });

  it('shows ages the way kubectl does', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect([age(ago(5), now), age(ago(119), now), age(ago(120), now), age(ago(7_199), now), age(ago(7_200), now), age(ago(172_800), now)]).toEqual(['5s', '119s', '2m', '119m', '2h', '2d']);
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age(new Date(now + 60_000).toISOString(), now)).toBe('0s');
  });

  it('accepts the known output formats and refuses others with a usage error listing them', () => {
    expect(parseFormat(undefined)).toBe('table');
    expect(parseFormat('yaml')).toBe('yaml');
    expect(() => parseFormat('xml')).toThrow(UsageError);
    expect(() => parseFormat('xml')).toThrow('-o xml: use one of table, wide, json, yaml, name');
  });

  it('describes nested objects indented, lists joined, and empty ones as <none>', () => {
    const text = describeBlock([
      ['Name', 'web'],
      ['Labels', { app: 'web' }],
      ['Selector', {}],
      ['Ports', ['80/TCP', '443/TCP']],
      ['Tolerations', []],
      ['Skipped', undefined],
    ]);
    expect(text).toBe(['Name:        web', 'Labels:', '  app: web', 'Selector: <none>', 'Ports:       80/TCP, 443/TCP', 'Tolerations: <none>', ''].join('\n'));
  });
});

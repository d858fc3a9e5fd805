import { describe, expect, it } from 'vitest';
import { isOrchestrationError } from '../types/errors.js';
import { matchesSelector, parseSelector } from './selector.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', canary: '' };
  const matches = (text: string) => matchesSelector(parseSelector(text), labels);

  it('parse kubectl equality syntax: k=v, k==v, k!=v, k, !k', () => {
    expect(parseSelector('app=web, tier!=db,canary,!legacy,env==prod')).toEqual([
      { key: 'app', op: '=', value: 'web' },
      { key: 'tier', op: '!=', value: 'db' },
      { key: 'canary', op: 'exists' },
      { key: 'legacy', op: '!exists' },
      { key: 'env', op: '=', value: 'prod' },
    ]);
    expect(parseSelector(undefined)).toEqual([]);
    expect(parseSelector('')).toEqual([]);
  });

  it('match only when every term holds', () => {
    expect(matches('app=web')).toBe(true);
    expect(matches('app=web,tier=front')).toBe(true);
    expect(matches('app=web,tier=back')).toBe(false);
    expect(matches('tier!=back')).toBe(true);
    expect(matches('missing!=x')).toBe(true);
    expect(matches('canary')).toBe(true);
    expect(matches('canary=')).toBe(true);
    expect(matches('!canary')).toBe(false);
    expect(matches('!legacy')).toBe(true);
    expect(matchesSelector([], {})).toBe(true);
  });

  it('reject what they cannot parse with InvalidInput naming labelSelector', () => {
    for (const bad of ['a=b,', 'a b', '=x', '!']) {
      let err: unknown;
      try {
        parseSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(isOrchestrationError(err, 'InvalidInput'), bad).toBe(true);
      expect(JSON.stringify((err as { details?: unknown }).details ?? (err as Error).message)).toContain('labelSelector');
    }
  });
});

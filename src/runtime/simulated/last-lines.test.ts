import { describe, expect, it } from 'vitest';
import { lastLines } from './last-lines.js';

describe('lastLines', () => {
  it.each([
    ['one\ntwo\nthree\n', 2, 'two\nthree\n'],
    ['one\ntwo\nthree\n', 1, 'three\n'],
    ['one\ntwo\nthree\n', 3, 'one\ntwo\nthree\n'],
    ['one\ntwo\nthree\n', 10, 'one\ntwo\nthree\n'],
    ['one\ntwo\nunfinished', 1, 'unfinished'],
    ['one\ntwo\nunfinished', 2, 'two\nunfinished'],
    ['one\n', 0, ''],
    ['', 3, ''],
    ['a\n\nb\n', 2, '\nb\n'],
  ])('takes the last lines of %j (n=%i)', (text, n, expected) => {
    expect(lastLines(text, n)).toBe(expected);
  });

  it('returns everything when no count is given', () => {
    expect(lastLines('a\nb\n', undefined)).toBe('a\nb\n');
  });
});

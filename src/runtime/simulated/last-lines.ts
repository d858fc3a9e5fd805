/**
 * The last `n` lines of `text` (all of it when `n` is undefined, nothing when `n` <= 0). A final
 * line without a newline counts as a line, as `tail -n` counts it.
 */
export function lastLines(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  if (n <= 0 || text === '') return '';
  let i = text.endsWith('\n') ? text.length - 1 : text.length;
  for (let count = 0; i > 0; ) {
    const nl = text.lastIndexOf('\n', i - 1);
    if (nl < 0) return text;
    if (++count === n) return text.slice(nl + 1);
    i = nl;
  }
  return text;
}

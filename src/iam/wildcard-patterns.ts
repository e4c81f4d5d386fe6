/**
 * Set relations between IAM wildcard patterns (`*` any run, `?` one character), used when the
 * "resource" being evaluated is itself a pattern (a generalised ARN, a narrowest observed pattern).
 * A concrete ARN is the special case of a pattern without wildcards.
 */

/**
 * True when every string `inner` matches is also matched by `outer` (sound, not complete:
 * `inner`'s `*` can only be absorbed by a `*` of `outer`).
 */
export function patternCovers(outer: string, inner: string): boolean {
  const n = outer.length;
  const m = inner.length;
  const memo = new Uint8Array((n + 1) * (m + 1)); // 0 unknown, 1 false, 2 true
  const visit = (i: number, j: number): boolean => {
    const key = i * (m + 1) + j;
    const cached = memo[key];
    if (cached !== undefined && cached !== 0) return cached === 2;
    let result: boolean;
    if (i === n) result = j === m;
    else if (outer[i] === '*') result = visit(i + 1, j) || (j < m && visit(i, j + 1));
    else if (j === m) result = false;
    else if (outer[i] === '?') result = inner[j] !== '*' && visit(i + 1, j + 1);
    else result = inner[j] === outer[i] && visit(i + 1, j + 1);
    memo[key] = result ? 2 : 1;
    return result;
  };
  return visit(0, 0);
}

/** True when some string is matched by both patterns. */
export function patternsIntersect(a: string, b: string): boolean {
  const n = a.length;
  const m = b.length;
  const memo = new Uint8Array((n + 1) * (m + 1));
  const visit = (i: number, j: number): boolean => {
    const key = i * (m + 1) + j;
    const cached = memo[key];
    if (cached !== undefined && cached !== 0) return cached === 2;
    let result: boolean;
    if (i < n && a[i] === '*') result = visit(i + 1, j) || (j < m && visit(i, j + 1));
    else if (j < m && b[j] === '*') result = visit(i, j + 1) || (i < n && visit(i + 1, j));
    else if (i === n || j === m) result = i === n && j === m;
    else result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && visit(i + 1, j + 1);
    memo[key] = result ? 2 : 1;
    return result;
  };
  return visit(0, 0);
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

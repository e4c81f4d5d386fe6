/** Locale-independent ordering (by UTF-16 code unit) used for every sorted output. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

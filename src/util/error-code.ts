/** The short code of a file-system error (`ENOENT`, `EACCES`), else its message: for one-line error text. */
export function errorCode(cause: unknown): string {
  if (cause !== null && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

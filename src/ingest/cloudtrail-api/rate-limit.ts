/**
 * A client-side request spacer: LookupEvents allows 2 requests per second per account and
 * Region, and going over only buys throttling errors. The clock and sleep are parameters so tests
 * can check the spacing without waiting.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Returns a function to await before each request; calls are spaced at least 1000/perSecond ms. */
export function createRateLimiter(perSecond: number, clock: Clock): () => Promise<void> {
  const spacing = 1000 / perSecond;
  let next = -Infinity;
  return async () => {
    const now = clock.now();
    if (now < next) await clock.sleep(next - now);
    next = Math.max(now, next) + spacing;
  };
}

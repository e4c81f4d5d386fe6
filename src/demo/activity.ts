/**
 * Activity profiles: how busy a role is in a given time slot, so the demo shows believable daily
 * and weekly patterns (a daytime bump, nightly batches, weekday CI bursts, silence).
 */
import type { ActivityProfile } from './call-spec.js';

/** A well-mixed number in [0, 1) from two integers; cheaper than building a PRNG per slot. */
function unit(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Relative activity of `profile` in the slot starting at `epochSeconds` (slot `index`, role salt `salt`). */
export function activityWeight(profile: ActivityProfile, epochSeconds: number, index: number, salt: number): number {
  const hour = Math.floor(epochSeconds / 3600) % 24;
  const weekday = (Math.floor(epochSeconds / 86400) + 4) % 7; // 0 = Sunday; 1970-01-01 was a Thursday
  const jitter = 0.85 + 0.3 * unit(salt, index);
  switch (profile) {
    case 'daytime-bump':
      return (1 + 1.6 * Math.exp(-((hour - 13) ** 2) / 18)) * jitter;
    case 'steady':
      return jitter;
    case 'business-bursts': {
      if (weekday === 0 || weekday === 6 || hour < 8 || hour >= 18) return 0;
      return unit(salt + 1, index) < 0.15 ? 12 * jitter : 0.15;
    }
    case 'nightly-batch':
      return hour >= 1 && hour < 5 ? 10 * jitter : hour >= 8 && hour < 18 ? 0.3 * jitter : 0.05;
    case 'idle':
      return 0;
  }
}

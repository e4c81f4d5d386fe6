import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patternCovers } from '../src/iam/wildcard-patterns.js';
import { withoutCovered } from '../src/policy/generalise.js';

// Short patterns over a tiny alphabet, so that covering (and mutual covering: `a**` and `a*`) is common.
const pattern = fc.array(fc.constantFrom('a', 'b', '/', '*', '?'), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));

describe('withoutCovered', () => {
  it('keeps a set that covers every input, with no entry covering another, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 12 }), (input) => {
        const kept = withoutCovered(input);
        for (const r of input)
          expect(
            kept.some((k) => k === r || patternCovers(k, r)),
            r,
          ).toBe(true);
        for (const a of kept) for (const b of kept) if (a !== b) expect(patternCovers(a, b), `${a} covers ${b}`).toBe(false);
        expect(withoutCovered([...input].reverse())).toEqual(kept);
        expect(withoutCovered(kept)).toEqual(kept);
      }),
      { numRuns: 500 },
    );
  });

  it('drops folded prefixes and objects under a wider prefix, keeps the rest', () => {
    expect(
      withoutCovered([
        'arn:aws:s3:::b/public/img/*',
        'arn:aws:s3:::b/public/*',
        'arn:aws:s3:::b/public/a.html',
        'arn:aws:s3:::b/private/x',
        'arn:aws:s3:::b/public/*',
      ]),
    ).toEqual(['arn:aws:s3:::b/private/x', 'arn:aws:s3:::b/public/*']);
    expect(withoutCovered(['a**', 'a*'])).toEqual(['a*']);
  });
});

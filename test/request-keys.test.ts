/**
 * stringMemberKeys (a scanner's plan for request parameters whose request-key members are all
 * strings) against extractRequestKeys on the objects themselves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractRequestKeys, REQUEST_KEY_MEMBERS, stringMemberKeys } from '../src/mapping/request-keys.js';

describe('stringMemberKeys', () => {
  it('gives extractRequestKeys of any object whose request-key members are strings', () => {
    const member = fc.integer({ min: 0, max: REQUEST_KEY_MEMBERS.length - 1 });
    fc.assert(
      fc.property(fc.uniqueArray(member, { maxLength: 12 }), fc.array(fc.string({ maxLength: 6 }), { minLength: 12, maxLength: 12 }), (members, values) => {
        const object: Record<string, string> = {};
        members.forEach((m, i) => (object[REQUEST_KEY_MEMBERS[m] ?? ''] = values[i] ?? ''));
        const planned: Record<string, string> = {};
        for (const { name, member: m, json } of stringMemberKeys(members)) {
          const value = object[REQUEST_KEY_MEMBERS[m] ?? ''] ?? '';
          planned[name] = json ? JSON.stringify(value) : value;
        }
        // Equal as JSON: the same keys in the same order.
        expect(JSON.stringify(planned)).toBe(JSON.stringify(extractRequestKeys(object)));
      }),
      { numRuns: 500 },
    );
  });

  it('reads the first path of a key in table order, whatever the members order', () => {
    const id = (name: string): number => REQUEST_KEY_MEMBERS.indexOf(name);
    expect(stringMemberKeys([id('Bucket'), id('bucketName')])).toEqual([{ name: 'bucketName', member: id('bucketName'), json: false }]);
    expect(stringMemberKeys([id('names')])).toEqual([{ name: 'names', member: id('names'), json: true }]);
    // A member read only on a deeper path gives nothing as a string (EC2's instancesSet.items).
    expect(stringMemberKeys([id('instancesSet')])).toEqual([]);
    // iamInstanceProfile is read both deeper (RunInstances' {arn|name}) and as a string (Auto Scaling).
    expect(stringMemberKeys([id('iamInstanceProfile')])).toEqual([{ name: 'instanceProfileName', member: id('iamInstanceProfile'), json: false }]);
  });
});

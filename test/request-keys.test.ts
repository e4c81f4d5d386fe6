/**
 * extractRequestKeys on request parameters whose request-key members are strings: each key reads
 * the first of its paths in src/mapping/data/request-keys.json's order, whatever the members' order.
 */
import { describe, expect, it } from 'vitest';
import { extractRequestKeys } from '../src/mapping/request-keys.js';

describe('extractRequestKeys of string members', () => {
  it('reads the first path of a key in table order, whatever the members order', () => {
    // bucketName's paths are $.bucketName, then $.Bucket.
    expect(extractRequestKeys({ Bucket: 'b1', bucketName: 'b2' })).toEqual({ bucketName: 'b2' });
    expect(extractRequestKeys({ bucketName: 'b2', Bucket: 'b1' })).toEqual({ bucketName: 'b2' });
    // names is a json key: its value is kept as JSON text.
    expect(extractRequestKeys({ names: 'x' })).toEqual({ names: '"x"' });
    // A member read only on a deeper path gives nothing as a string (EC2's instancesSet.items).
    expect(extractRequestKeys({ instancesSet: 'x' })).toEqual({});
    // iamInstanceProfile is read both deeper (RunInstances' {arn|name}) and as a string (Auto Scaling).
    expect(extractRequestKeys({ iamInstanceProfile: 'p' })).toEqual({ instanceProfileName: 'p' });
  });
});

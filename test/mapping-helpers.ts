import type { CallRow } from '../src/model.js';

/** A call row with sensible defaults; tests override what they exercise. */
export function callRow(over: Partial<CallRow> & Pick<CallRow, 'eventSource' | 'eventName'>): CallRow {
  return {
    roleArn: 'arn:aws:iam::123456789012:role/app',
    awsRegion: 'eu-west-1',
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    errorCode: null,
    invokedBy: null,
    params: {},
    resourceArns: [],
    count: 1,
    firstSeen: '2025-01-01T00:00:00Z',
    lastSeen: '2025-01-01T00:00:00Z',
    ...over,
  };
}

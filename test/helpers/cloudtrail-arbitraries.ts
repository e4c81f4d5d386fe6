/**
 * fast-check generators of CloudTrail records for the stream scanner's tests: real field names
 * and shapes, with strings that stress a byte scanner (quotes, backslashes, brackets, non-ASCII,
 * control characters, long strings) and nested members named like top-level ones.
 */
import fc from 'fast-check';

export const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
export const tricky = fc.oneof(
  pick(['plain', 'with "quotes"', 'back\\slash', 'brace } and [ bracket', 'unicode é ✓', 'nul \u0000 ctl \u0001', '']),
  // Past 24 bytes the scanner finds a string's end natively: escapes there too.
  pick([`${'long '.repeat(6)}"quoted" \\ ${'tail '.repeat(6)}`, `${'x'.repeat(30)}\\\\`, `${'y'.repeat(25)}\\"}]`, 'z'.repeat(300)]),
  fc.string({ maxLength: 12 }),
);
export const nested: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    tie('object'),
    tie('array'),
  ),
  // Nested members named like the top-level ones must not be mistaken for them.
  object: fc.dictionary(fc.oneof(pick(['eventName', 'eventTime', 'arn', 'type', 'Records', 'bucketName']), fc.string({ maxLength: 6 })), tie('value'), {
    maxKeys: 4,
  }),
  array: fc.array(tie('value'), { maxLength: 3 }),
})).value;

export const recordArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.integer(), tricky) },
  {
    weight: 12,
    arbitrary: fc.record(
      {
        eventVersion: pick(['1.08', '1.10']),
        eventTime: fc.oneof(
          pick(['2026-02-01T10:00:00Z', '2026-02-01T10:00:00.123Z', '2026-02-02T23:59:59Z', '2026-03-05T00:00:00Z', 'not a time', '2026-02-01 10:00:00']),
          fc.integer(),
        ),
        '@timestamp': pick(['2026-02-03T00:00:00Z']),
        eventType: pick(['AwsApiCall', 'AwsServiceEvent', 'AwsConsoleSignIn']),
        eventSource: fc.oneof(pick(['s3.amazonaws.com', 'sqs.amazonaws.com', 'kms.amazonaws.com', '']), fc.integer()),
        eventName: pick(['GetObject', 'SendMessage', 'Decrypt', 'Put"Quoted']),
        awsRegion: pick(['eu-west-1', 'us-east-1']),
        eventCategory: pick(['Management', 'Data']),
        errorCode: pick(['AccessDenied', null]),
        recipientAccountId: pick(['123456789012', '210987654321']),
        userIdentity: fc.record(
          {
            type: pick(['AssumedRole', 'IAMUser']),
            accountId: pick(['123456789012']),
            invokedBy: pick(['lambda.amazonaws.com']),
            sessionContext: fc.record(
              {
                sessionIssuer: fc.record(
                  {
                    type: pick(['Role', 'User']),
                    arn: pick(['arn:aws:iam::123456789012:role/app', 'arn:aws:iam::123456789012:role/svc/worker', 'arn:aws:iam::123456789012:role/é']),
                    userName: pick(['app', 'worker']),
                  },
                  { requiredKeys: [] },
                ),
                attributes: nested,
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        requestParameters: fc.oneof(
          fc.record(
            {
              bucketName: pick(['b1', 'b"2', 'b\\3']),
              key: fc.oneof(pick(['a/b.txt', 'c/d/e.json', 'x', 'a/é.txt', '']), fc.integer()),
              Key: pick(['x', 'a/b.txt']),
              queueUrl: pick(['https://sqs.eu-west-1.amazonaws.com/123456789012/q1']),
              requestItems: nested,
              iamInstanceProfile: fc.record({ arn: pick(['arn:aws:iam::123456789012:instance-profile/p']), name: pick(['p']) }, { requiredKeys: [] }),
              other: nested,
            },
            { requiredKeys: [] },
          ),
          fc.constant(null),
          nested,
        ),
        responseElements: nested,
        resources: fc.oneof(
          fc.array(
            fc.oneof(
              fc.record(
                {
                  ARN: pick([
                    'arn:aws:s3:::b1',
                    'arn:aws:s3:::b1/a/b.txt',
                    'arn:aws:s3:::b2/c/d/e.json',
                    'arn:aws:s3:::b1/x',
                    'arn:aws:s3:::b1/',
                    'arn:aws:s3:::b1/a/é.txt',
                    'arn:aws-cn:s3:::b:1/x',
                  ]),
                  type: pick(['AWS::S3::Bucket']),
                },
                { requiredKeys: [] },
              ),
              fc.record({ arn: pick(['arn:aws:kms:eu-west-1:123456789012:key/k', 'arn:aws:s3:::b1/x']) }),
              fc.constant(null),
            ),
            { maxLength: 3 },
          ),
          nested,
        ),
      },
      { requiredKeys: [] },
    ),
  },
);

/** Escapes one character of every member name that starts with `event` (`"event\u0054ime"`). */
export function escapeKeys(json: string): string {
  return json.replace(/"event([A-Z])/g, (_, c: string) => `"event\\u00${c.charCodeAt(0).toString(16)}`);
}

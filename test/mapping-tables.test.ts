import { beforeAll, describe, expect, it } from 'vitest';
import { type IamCatalog, loadCatalog } from '../src/iam/catalog.js';
import { createMapper, createOutcomeClassifier, createPrefixResolver } from '../src/mapping/map-call.js';
import { mappingTables, parseTables } from '../src/mapping/tables.js';
import type { CallRow, MappedCall } from '../src/model.js';
import { callRow } from './mapping-helpers.js';

const tables = mappingTables();
let catalog: IamCatalog;
let map: (row: CallRow) => MappedCall;
beforeAll(async () => {
  catalog = await loadCatalog();
  map = createMapper(catalog);
});

function actions(m: MappedCall): string[] {
  return m.kind === 'mapped' ? m.permissions.map((p) => p.action).sort() : [];
}

describe('tables are valid data', () => {
  it('rejects a malformed table', () => {
    expect(() => parseTables({ ...tables, eventActions: [{ eventSource: 's3.amazonaws.com', eventName: 'X', permissions: [] }] })).toThrow(
      /mapping tables are invalid/,
    );
  });
  it('refuses to build a mapper over a table naming an unknown action', () => {
    const bad = {
      ...tables,
      eventActions: [{ eventSource: 'lambda.amazonaws.com', eventName: 'Invoke', permissions: [{ action: 'lambda:Invoke' }], reason: 'a wrong row' }],
    };
    expect(() => createMapper(catalog, bad)).toThrow(/lambda:Invoke/);
  });
  it('refuses to build a mapper over a row naming a resource type its action does not have', () => {
    const row = {
      eventSource: 'ecs.amazonaws.com',
      eventName: 'CreateCluster',
      permissions: [{ action: 'ecs:TagResource', resourceTypes: ['bucket'] }],
      reason: 'a wrong row',
    };
    expect(() => createMapper(catalog, { ...tables, eventActions: [row] })).toThrow(/ecs:TagResource resource type bucket/);
  });
  it.each(tables.eventActions.flatMap((r) => r.permissions.map((p) => [`${r.eventSource} ${r.eventName}`, p.action])))(
    'event-actions %s emits %s, which exists in the catalogue',
    (_event, action) => expect(catalog.action(action)?.id).toBe(action),
  );
  it.each(tables.namePrefixActions.map((r) => [r.namePrefix, r.action]))('name-prefix %s -> %s exists', (_p, action) =>
    expect(catalog.action(action)?.id).toBe(action),
  );
  it.each(tables.servicePrefixes.map((r) => [r.eventSource, r.prefix]))('eventSource %s -> prefix %s exists', (host, prefix) => {
    expect(catalog.hasService(prefix)).toBe(true);
    expect(createPrefixResolver()(host)).toBe(prefix);
  });
  it.each(tables.resourceBuilders.map((r) => [r.service, r.resourceType, r.template]))('builder %s/%s (%s) names a catalogue resource type', (service, type) =>
    expect(catalog.resourceType(service, type)).toBeDefined(),
  );
  it.each(tables.passRole.map((r) => [r.eventSource, r.eventName, r.param]))('pass-role %s %s reads a request key (%s)', async (_s, _n, param) => {
    const { REQUEST_KEYS } = await import('../src/mapping/request-keys.js');
    expect(REQUEST_KEYS.map((k) => k.name)).toContain(param);
  });
});

describe('event-actions rows map as the table says', () => {
  const unconditional = tables.eventActions.filter((r) => r.whenParams === undefined);
  // Without parameters, a permission that needs one (`onlyWith`: the per-item actions of a transaction) is not emitted.
  it.each(
    unconditional.map(
      (r) =>
        [
          r.eventSource,
          r.eventName,
          r.permissions
            .filter((p) => p.onlyWith === undefined)
            .map((p) => p.action)
            .sort(),
        ] as const,
    ),
  )('%s %s -> %j', (eventSource, eventName, expected) => expect(actions(map(callRow({ eventSource, eventName })))).toEqual([...expected].sort()));
  it.each([
    ['GetObject', { bucketName: 'b', key: 'k', versionId: 'v1' }, ['s3:GetObjectVersion']],
    ['HeadObject', { bucketName: 'b', key: 'k', versionId: 'v1' }, ['s3:GetObjectVersion']],
    ['HeadObject', { bucketName: 'b', key: 'k' }, ['s3:GetObject']],
    ['DeleteObject', { bucketName: 'b', key: 'k', versionId: 'v1' }, ['s3:DeleteObjectVersion']],
    ['CopyObject', { bucketName: 'd', key: 'k', copySource: 's/x?versionId=7' }, ['s3:GetObjectVersion', 's3:PutObject']],
  ] as const)('S3 %s with %j -> %j', (eventName, params, expected) =>
    expect(actions(map(callRow({ eventSource: 's3.amazonaws.com', eventName, params: { ...params } })))).toEqual([...expected]),
  );
  it.each([
    [
      'TransactWriteItems',
      { requestItems: '[{"operation":"Put","tableName":"a"},{"operation":"ConditionCheck","TableName":"b"}]' },
      ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem'],
    ],
    ['TransactWriteItems', { requestItems: '[{"Update":{"TableName":"a"}},{"Delete":{"TableName":"a"}}]' }, ['dynamodb:DeleteItem', 'dynamodb:UpdateItem']],
    ['ExecuteStatement', { statement: 'SELECT * FROM "Music"."ArtistIndex" WHERE Artist = ?' }, ['dynamodb:PartiQLSelect']],
    [
      'BatchExecuteStatement',
      { requestItems: '[{"statement":"UPDATE Music SET A = 1"},{"statement":"DELETE FROM \\"Music\\" WHERE x = 2"}]' },
      ['dynamodb:PartiQLDelete', 'dynamodb:PartiQLUpdate'],
    ],
    ['ExecuteTransaction', { transactStatements: '[{"statement":"INSERT INTO Music VALUE {}"}]' }, ['dynamodb:PartiQLInsert']],
  ] as const)('DynamoDB %s with %j -> %j', (eventName, params, expected) =>
    expect(actions(map(callRow({ eventSource: 'dynamodb.amazonaws.com', eventName, params: { ...params } })))).toEqual([...expected]),
  );
  it('a PartiQL statement whose verb cannot be read maps to nothing (unmapped, never guessed)', () =>
    expect(map(callRow({ eventSource: 'dynamodb.amazonaws.com', eventName: 'ExecuteStatement', params: { statement: 'EXPLAIN x' } })).kind).toBe('unmapped'));
});

describe('default rule and version suffixes', () => {
  it.each([
    ['lambda.amazonaws.com', 'CreateFunction20150331', 'lambda:CreateFunction'],
    ['lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', 'lambda:UpdateFunctionConfiguration'],
    ['lambda.amazonaws.com', 'ListTags20170331', 'lambda:ListTags'],
    ['cloudfront.amazonaws.com', 'CreateDistribution2020_05_31', 'cloudfront:CreateDistribution'],
    ['sagemaker.amazonaws.com', 'CreateAutoMLJobV2', 'sagemaker:CreateAutoMLJobV2'],
    ['cloud9.amazonaws.com', 'CreateEnvironmentEC2', 'cloud9:CreateEnvironmentEC2'],
    ['monitoring.amazonaws.com', 'GetMetricData', 'cloudwatch:GetMetricData'],
    ['s3.amazonaws.com', 'getobject', 's3:GetObject'],
    ['rdsdata.amazonaws.com', 'ExecuteStatement', 'rds-data:ExecuteStatement'],
    ['apigateway.amazonaws.com', 'GetRestApis', 'apigateway:GET'],
  ])('%s %s -> %s', (eventSource, eventName, action) => expect(actions(map(callRow({ eventSource, eventName })))).toContain(action));

  it('a suffix is only stripped for its own eventSource', () =>
    expect(map(callRow({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances20150331' })).kind).toBe('unmapped'));

  it.each(tables.versionSuffixes.flatMap((r) => r.examples.map((e) => [r.eventSource, e])))('suffix example %s %s maps', (eventSource, eventName) =>
    expect(map(callRow({ eventSource, eventName })).kind).toBe('mapped'),
  );

  it('an unknown call is unmapped with a diagnostic carrying source, name and count', () => {
    const m = map(callRow({ eventSource: 'example.amazonaws.com', eventName: 'DoThing', count: 7 }));
    expect(m).toMatchObject({ kind: 'unmapped', diagnostics: [{ code: 'unmapped', subject: 'example.amazonaws.com:DoThing', count: 7 }] });
  });
});

describe('ignored events', () => {
  it.each(tables.ignoredEvents.map((r) => [r.eventSource, r.eventName === '*' ? 'ConsoleLogin' : r.eventName, r.kind]))(
    '%s %s is ignored (%s)',
    (eventSource, eventName, kind) => {
      const m = map(callRow({ eventSource, eventName }));
      expect(m.kind).toBe('ignored');
      if (m.kind === 'ignored') expect(m.reason.startsWith(kind)).toBe(true);
    },
  );
});

describe('error codes', () => {
  const classify = createOutcomeClassifier();
  it.each(tables.errorCodes.flatMap((r) => (r.examples ?? [r.pattern.replaceAll('*', '')]).map((e) => [e, r.outcome])))('%s -> %s', (code, outcome) =>
    expect(classify(code).outcome).toBe(outcome),
  );
  it('a denied call is mapped as a denied attempt, never authorized', () =>
    expect(map(callRow({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', errorCode: 'Client.UnauthorizedOperation' }))).toMatchObject({
      kind: 'mapped',
      outcome: 'denied',
    }));
  // Issue 18: a broad `*Invalid*` row turned authentication failures into usage.
  it.each([
    'InvalidClientTokenId',
    'Client.InvalidClientTokenId',
    'UnrecognizedClientException',
    'RequestExpired',
    'ExpiredTokenException',
    'SignatureDoesNotMatch',
    'InvalidSignatureException',
    'ThrottlingException',
    'Client.RequestLimitExceeded',
    'ValidationException',
    'InvalidParameterValue',
  ])('%s is a failed call: neither use nor a denied attempt', (code) => expect(classify(code).outcome).toBe('failed'));
  it.each(['Client.InvalidInstanceID.NotFound', 'KMSInvalidStateException', 'InvalidPermission.Duplicate', 'ConditionalCheckFailedException', 'NoSuchKey'])(
    '%s failed after authorization: usage',
    (code) => expect(classify(code).outcome).toBe('authorized'),
  );
  it('an unknown code counts as authorized with a warning', () => {
    const m = map(callRow({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', errorCode: 'SomethingOdd' }));
    expect(m.kind === 'mapped' && m.outcome).toBe('authorized');
    expect(m.diagnostics.map((d) => d.code)).toContain('unknown-error-code');
  });
});

describe('unmapped ratchet', () => {
  it.each(tables.unmappedRatchet.map((r) => [r.eventSource, r.eventName]))('%s %s still does not map (else delete the entry)', (eventSource, eventName) =>
    expect(map(callRow({ eventSource, eventName })).kind).toBe('unmapped'),
  );
  it('has no duplicate entries', () => {
    const keys = tables.unmappedRatchet.map((r) => `${r.eventSource} ${r.eventName}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

// Tag-on-create (EC2 User Guide, supported-iam-actions-tagging): a tag specification whose
// resource type the request does not name, or that ec2:CreateTags does not list, keeps the action
// on `*` and says so; the types it names get the action on their resources, and no other type.
describe('tag-on-create with resource types from the request', () => {
  const run = (items: unknown[]): MappedCall =>
    map(callRow({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', params: { tagSpecificationSet: JSON.stringify(items) } }));
  const createTags = (m: MappedCall): string[] | undefined =>
    m.kind === 'mapped' ? m.permissions.find((p) => p.action === 'ec2:CreateTags')?.resources : undefined;
  it('an item naming no resource type: ec2:CreateTags on * with a warning naming it', () => {
    const m = run([{ tags: [{ key: 'Name', value: 'web' }] }]);
    expect(createTags(m)).toEqual(['*']);
    expect(m.diagnostics.some((d) => d.severity === 'warning' && d.subject === 'ec2:CreateTags' && d.message.includes('using *'))).toBe(true);
  });
  it('a resource type ec2:CreateTags does not list: on * with a warning', () => {
    const m = run([{ resourceType: 'not-a-type', tags: [] }]);
    expect(createTags(m)).toEqual(['*']);
    expect(m.diagnostics.some((d) => d.severity === 'warning' && d.message.includes('not-a-type'))).toBe(true);
  });
  it("instance and volume: ec2:CreateTags on those two types only, in the call's account and Region", () => {
    const resources =
      createTags(
        run([
          { resourceType: 'instance', tags: [] },
          { resourceType: 'volume', tags: [] },
        ]),
      ) ?? [];
    expect(resources).toHaveLength(2);
    expect(resources.some((r) => r.startsWith('arn:aws:ec2:eu-west-1:123456789012:instance/'))).toBe(true);
    expect(resources.some((r) => r.startsWith('arn:aws:ec2:eu-west-1:123456789012:volume/'))).toBe(true);
  });
  it('without tag specifications: no ec2:CreateTags', () => {
    expect(actions(map(callRow({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' })))).toEqual(['ec2:RunInstances']);
  });
});

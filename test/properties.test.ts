/**
 * Property-based tests (fast-check). Parsers and the mapper meet arbitrary JSON without throwing
 * anything but InputError; canonical output is idempotent; a proposal never grants more than the
 * current policies and always allows what was observed (checked with our evaluator).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffPermissions } from '../src/diff/diff-permissions.js';
import { InputError, InternalError } from '../src/errors.js';
import { parseAuthorizationDetails, parsePolicyDocument } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { evaluate } from '../src/iam/evaluate.js';
import { asList, expandActionPattern } from '../src/iam/expand.js';
import { attributeRecord, groupRecords, type CloudTrailRecord } from '../src/ingest/reference.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { CallRow, Evidence, PermissionUsage, PolicyDocument, RoleGrant, RoleUsage, Statement } from '../src/model.js';
import { canonicalPolicy, proposePolicy } from '../src/policy/propose.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 200);
const WINDOW = { start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

/** Runs `f` and fails unless it returns or throws an InputError (never TypeError, RangeError...). */
function onlyInputErrors(f: () => unknown): void {
  try {
    f();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
  }
}

const json = fc.jsonValue({ maxDepth: 4 });
const isoTime = fc
  .date({ min: new Date('2025-12-01T00:00:00Z'), max: new Date('2026-04-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => fc.oneof(arb, json, fc.constant(undefined));

/** Records that are CloudTrail-shaped at every level, with any field liable to be junk. */
const recordArb: fc.Arbitrary<CloudTrailRecord> = fc.record(
  {
    eventTime: maybe(isoTime),
    '@timestamp': maybe(isoTime),
    eventType: maybe(fc.constantFrom('AwsApiCall', 'AwsServiceEvent', 'AwsConsoleSignIn')),
    eventSource: maybe(fc.constantFrom('s3.amazonaws.com', 'dynamodb.amazonaws.com', 'madeup.amazonaws.com', '')),
    eventName: maybe(fc.constantFrom('GetObject', 'PutItem', 'DoMagic', '')),
    awsRegion: maybe(fc.constant('us-east-1')),
    recipientAccountId: maybe(fc.constant('111122223333')),
    errorCode: maybe(fc.constantFrom('AccessDenied', 'NoSuchKey')),
    requestParameters: maybe(fc.dictionary(fc.constantFrom('bucketName', 'key', 'tableName', 'x'), json)),
    resources: maybe(fc.array(fc.record({ ARN: maybe(fc.string()), arn: maybe(fc.string()) }, { requiredKeys: [] }))),
    userIdentity: maybe(
      fc.record(
        {
          accountId: maybe(fc.string()),
          invokedBy: maybe(fc.string()),
          sessionContext: maybe(
            fc.record(
              {
                sessionIssuer: maybe(
                  fc.record({ type: maybe(fc.constant('Role')), arn: maybe(fc.string()), userName: maybe(fc.string()) }, { requiredKeys: [] }),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<CloudTrailRecord>;

describe('parsers never throw anything but InputError', () => {
  it('attributeRecord and groupRecords on CloudTrail-shaped junk and on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(recordArb, json as fc.Arbitrary<CloudTrailRecord>), { maxLength: 20 }), (records) => {
        for (const r of records) {
          const call = attributeRecord(r);
          if (call !== undefined) expect(call.roleArn.length).toBeGreaterThan(0);
        }
        const rows = groupRecords(records, { kind: 'all' }, WINDOW);
        expect(rows.reduce((n, row) => n + row.count, 0)).toBeLessThanOrEqual(records.length);
      }),
      { numRuns: RUNS },
    );
  });

  const statementish = fc.record(
    {
      Effect: maybe(fc.constantFrom('Allow', 'Deny')),
      Action: maybe(fc.oneof(fc.string(), fc.array(fc.string()))),
      Resource: maybe(fc.string()),
      Condition: maybe(json),
    },
    { requiredKeys: [] },
  );
  const documentish = fc.oneof(
    json,
    fc.record({ Version: maybe(fc.string()), Statement: maybe(fc.oneof(statementish, fc.array(statementish))) }, { requiredKeys: [] }),
  );
  const documentText = fc.oneof(
    documentish.map((d) => JSON.stringify(d) ?? ''),
    documentish.map((d) => encodeURIComponent(JSON.stringify(d) ?? '')),
    fc.string(),
    fc.string().map((s) => `%${s}`),
  );

  it('parsePolicyDocument on objects, JSON text, URL-encoded text and junk', () => {
    fc.assert(
      fc.property(fc.oneof(documentish, documentText), (raw) => onlyInputErrors(() => parsePolicyDocument(raw, 'test'))),
      { numRuns: RUNS },
    );
  });

  it('parseAuthorizationDetails on authorization-details-shaped junk and on arbitrary JSON', () => {
    const roleish = fc.record(
      {
        RoleName: maybe(fc.string()),
        Arn: maybe(fc.string()),
        Path: maybe(fc.constantFrom('/', '/aws-service-role/')),
        RolePolicyList: maybe(
          fc.array(fc.record({ PolicyName: maybe(fc.string()), PolicyDocument: maybe(fc.oneof(documentish, documentText)) }, { requiredKeys: [] })),
        ),
        AttachedManagedPolicies: maybe(
          fc.array(fc.record({ PolicyName: maybe(fc.string()), PolicyArn: maybe(fc.constantFrom('arn:aws:iam::1:policy/p', 'x')) }, { requiredKeys: [] })),
        ),
        PermissionsBoundary: maybe(fc.record({ PermissionsBoundaryArn: maybe(fc.constant('arn:aws:iam::1:policy/p')) }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    );
    const policyish = fc.record(
      {
        PolicyName: maybe(fc.string()),
        Arn: maybe(fc.constant('arn:aws:iam::1:policy/p')),
        DefaultVersionId: maybe(fc.constant('v1')),
        PolicyVersionList: maybe(
          fc.array(
            fc.record({ Document: maybe(documentish), VersionId: maybe(fc.constant('v1')), IsDefaultVersion: maybe(fc.boolean()) }, { requiredKeys: [] }),
          ),
        ),
      },
      { requiredKeys: [] },
    );
    const file = fc.oneof(
      json,
      fc.record({ RoleDetailList: maybe(fc.array(roleish, { maxLength: 3 })), Policies: maybe(fc.array(policyish, { maxLength: 3 })) }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(file, (raw) => onlyInputErrors(() => parseAuthorizationDetails(raw, 'iam.json'))),
      { numRuns: RUNS },
    );
  });
});

describe('mapping never throws', () => {
  it('createMapper(catalog) on arbitrary CallRows', () => {
    const mapCall = createMapper(catalog);
    const sources = [
      's3.amazonaws.com',
      'dynamodb.amazonaws.com',
      'iam.amazonaws.com',
      'kms.amazonaws.com',
      'lambda.amazonaws.com',
      'sts.amazonaws.com',
      'ec2.amazonaws.com',
    ];
    const events = ['GetObject', 'PutObject', 'GetItem', 'PassRole', 'CreateRole', 'Decrypt', 'Invoke', 'AssumeRole', 'RunInstances', 'ListBuckets'];
    const text = fc.oneof(fc.string(), fc.constant(''), fc.constant('*'), fc.constant('arn:aws:s3:::b/k'));
    const row: fc.Arbitrary<CallRow> = fc.record({
      roleArn: fc.oneof(fc.constant('arn:aws:iam::111122223333:role/r'), fc.string()),
      eventSource: fc.oneof(fc.constantFrom(...sources), fc.string()),
      eventName: fc.oneof(fc.constantFrom(...events), fc.string()),
      awsRegion: fc.oneof(fc.constant('us-east-1'), fc.string()),
      recipientAccountId: fc.oneof(fc.constant('111122223333'), fc.string()),
      eventCategory: fc.constantFrom('', 'Management', 'Data', 'x'),
      errorCode: fc.option(fc.oneof(fc.constantFrom('AccessDenied', 'Client.UnauthorizedOperation', 'NoSuchKey'), fc.string()), { nil: null }),
      invokedBy: fc.option(fc.string(), { nil: null }),
      params: fc.dictionary(fc.constantFrom('bucketName', 'key', 'tableName', 'functionName', 'roleArn', 'keyId', 'roleName', 'instanceId', 'x'), text),
      resourceArns: fc.array(text, { maxLength: 3 }),
      count: fc.integer({ min: 1, max: 1000 }),
      firstSeen: isoTime,
      lastSeen: isoTime,
    });
    fc.assert(
      fc.property(row, (r) => {
        const mapped = mapCall(r);
        expect(['mapped', 'ignored', 'unmapped']).toContain(mapped.kind);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

/** Policy documents from real catalogue actions, wildcards and junk-free shapes. */
function policyArb(actions: readonly string[], withDeny = true): fc.Arbitrary<PolicyDocument> {
  const action = fc.oneof(
    fc.constantFrom(...actions),
    fc.constantFrom(...actions).map((a) => `${a.slice(0, a.indexOf(':') + 4)}*`),
    fc.constantFrom(...actions).map((a) => `${a.slice(0, a.indexOf(':'))}:*`),
  );
  const statement: fc.Arbitrary<Statement> = fc.record({
    Effect: withDeny ? fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Allow', 'Allow', 'Deny') : fc.constant<'Allow' | 'Deny'>('Allow'),
    Action: fc.oneof(action, fc.array(action, { minLength: 1, maxLength: 6 })),
    Resource: fc.oneof(
      fc.constant('*'),
      fc.constantFrom('arn:aws:s3:::bucket-a/*', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', 'arn:aws:sqs:us-east-1:111122223333:jobs'),
    ),
  });
  return fc.array(statement, { minLength: 1, maxLength: 5 }).map((Statement) => ({ Version: '2012-10-17', Statement }));
}

describe('canonical output', () => {
  it('canonicalPolicy is idempotent', () => {
    const actions = ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:SendMessage', 'kms:Decrypt'];
    const withCondition = policyArb(actions).chain((doc) =>
      fc
        .record({
          c: fc.option(
            fc.dictionary(
              fc.constantFrom('StringEquals', 'ArnLike'),
              fc.dictionary(fc.constantFrom('aws:SourceVpc', 'kms:ViaService'), fc.oneof(fc.string(), fc.array(fc.string()))),
            ),
            { nil: undefined },
          ),
        })
        .map(({ c }) => ({
          ...doc,
          Statement: doc.Statement.map((s, i) => (i === 0 && c !== undefined ? { ...s, Sid: 'x', Condition: c } : s)),
        })),
    );
    fc.assert(
      fc.property(withCondition, (doc) => {
        const once = canonicalPolicy(doc);
        expect(canonicalPolicy(once)).toEqual(once);
        expect(JSON.stringify(canonicalPolicy(once))).toBe(JSON.stringify(once));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('proposals: observed ⊆ proposed ⊆ granted (our evaluator)', () => {
  const SERVICES = ['s3', 'dynamodb', 'sqs', 'kms', 'logs'];
  const RESOURCES = ['*', 'arn:aws:s3:::bucket-a/key.txt', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', 'arn:aws:sqs:us-east-1:111122223333:jobs'];
  const EMPTY_EVIDENCE: Evidence = {
    source: 'test',
    files: 1,
    bytes: 1,
    skippedFiles: [],
    records: 1,
    invalidRecords: 0,
    events: 1,
    covered: { first: WINDOW.start, last: WINDOW.end },
    dataEventSources: ['s3.amazonaws.com', 'dynamodb.amazonaws.com'],
  };

  // Allow-only grants: a proposal must always be produced and satisfy both inclusions.
  it('holds for random Allow-only grants and usages built from real catalogue actions', () => {
    checkProposals(false);
  });

  // Grants with resource-scoped Denies: the Denies that touch the proposal are kept, and the
  // self-check must accept every such proposal (it once refused 16 in 500 by counting a kept Deny
  // against the proposal).
  it('holds for random grants with Deny statements, and the self-check never refuses', () => {
    const { refused, checked } = checkProposals(true);
    expect(refused).toBe(0);
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  function checkProposals(withDeny: boolean): { checked: number; refused: number } {
    const actions = SERVICES.flatMap((s) => catalog.actionsForService(s).map((a) => `${s}:${a.name}`)).slice();
    expect(actions.length).toBeGreaterThan(100);
    const usage = fc.uniqueArray(
      fc.record({ action: fc.constantFrom(...actions), resource: fc.constantFrom(...RESOURCES), count: fc.integer({ min: 1, max: 50 }) }),
      { maxLength: 12, selector: (u) => u.action },
    );
    const options = fc.record({
      resources: fc.constantFrom<'exact' | 'generalize' | 'service'>('exact', 'generalize', 'service'),
      dropUnobservable: fc.boolean(),
      policyType: fc.constantFrom<'managed' | 'inline'>('managed', 'inline'),
    });
    let checked = 0;
    let refused = 0;
    fc.assert(
      fc.property(policyArb(actions, withDeny), usage, options, (current, used, opts) => {
        const grant: RoleGrant = {
          arn: 'arn:aws:iam::111122223333:role/r',
          name: 'r',
          path: '/',
          accountId: '111122223333',
          serviceLinked: false,
          policies: [{ kind: 'inline', name: 'p', document: current }],
        };
        const permissionUsage: PermissionUsage[] = used
          .map((u) => ({ action: u.action, resources: [u.resource], count: u.count, firstSeen: WINDOW.start, lastSeen: WINDOW.start }))
          .sort((a, b) => (a.action < b.action ? -1 : 1));
        const roleUsage: RoleUsage = {
          role: grant.arn,
          events: used.reduce((n, u) => n + u.count, 0),
          calls: [],
          used: permissionUsage,
          denied: [],
          unmapped: [],
          diagnostics: [],
        };
        const diff = diffPermissions({ catalog, grant, usage: roleUsage, evidence: EMPTY_EVIDENCE });
        let proposal;
        try {
          proposal = proposePolicy({ catalog, grant, usage: roleUsage, diff, options: opts });
        } catch (error) {
          if (withDeny && error instanceof InternalError && error.message.includes('self-check')) {
            refused++;
            return;
          }
          throw error;
        }
        // proposed ⊆ granted, on concrete requests: whatever the proposal allows, today allows.
        // Probes: every resource a statement of either policy names (wildcards made concrete),
        // so the parts today's Denies carve out of a wider Allow are probed too.
        const probes = [...new Set([...RESOURCES, ...current.Statement.flatMap((s) => asList(s.Resource))].map((r) => r.replace(/\*/g, 'x')))];
        for (const doc of proposal.policies) {
          for (const s of doc.Statement) {
            if (s.Effect === 'Deny') continue;
            for (const pattern of asList(s.Action)) {
              for (const action of expandActionPattern(catalog, pattern)) {
                for (const resource of probes) {
                  if (evaluate(proposal.policies, { action, resource }).decision !== 'allowed') continue;
                  expect(evaluate([current], { action, resource }).decision, `${action} on ${resource}`).toBe('allowed');
                }
              }
            }
          }
        }
        // observed ⊆ proposed: every used call the current policy allows stays allowed.
        for (const u of used) {
          if (evaluate([current], { action: u.action, resource: u.resource }).decision !== 'allowed') continue;
          expect(evaluate(proposal.policies, { action: u.action, resource: u.resource }).decision, `${u.action} on ${u.resource}`).toBe('allowed');
        }
        checked++;
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 2)) },
    );
    if (!withDeny) expect(checked).toBeGreaterThanOrEqual(20);
    return { checked, refused };
  }
});

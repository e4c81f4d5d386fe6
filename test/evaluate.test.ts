import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { evaluate, type Decision, type EvaluationOptions } from '../src/iam/evaluate.js';
import { patternCovers, patternsIntersect } from '../src/iam/wildcard-patterns.js';
import type { PolicyDocument, Statement } from '../src/model.js';

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const OBJ = 'arn:aws:s3:::bucket/uploads/a.png';

interface Row {
  name: string;
  policies: PolicyDocument[];
  action: string;
  resource: string;
  options?: EvaluationOptions;
  expected: Decision;
  /** Whether iam-simulate can check this row (concrete resource, no condition context needed). */
  oracle?: boolean;
}

const rows: Row[] = [
  {
    name: 'Action * allows',
    policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  {
    name: 'no statement: implicit deny',
    policies: [doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'implicit-deny',
    oracle: true,
  },
  {
    name: 'actions are case-insensitive',
    policies: [doc({ Effect: 'Allow', Action: 'S3:getobject', Resource: '*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  {
    name: 'ARNs are case-sensitive',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::Bucket/*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'implicit-deny',
    oracle: true,
  },
  {
    name: '? matches one character',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/uploads/?.png' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  {
    name: 'Deny wins',
    policies: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }), doc({ Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'denied',
    oracle: true,
  },
  {
    name: 'NotAction allows the rest',
    policies: [doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  {
    name: 'NotAction excludes',
    policies: [doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
    action: 'iam:CreateUser',
    resource: 'arn:aws:iam::123456789012:user/x',
    expected: 'implicit-deny',
    oracle: true,
  },
  {
    name: 'NotResource Allow',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  {
    name: 'NotResource Deny',
    policies: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::other/*' })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'denied',
    oracle: true,
  },
  {
    name: 'boundary blocks',
    policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
    options: { boundary: doc({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }) },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'implicit-deny',
    oracle: true,
  },
  {
    name: 'boundary allows',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    options: { boundary: doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/*' }) },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
    oracle: true,
  },
  // Conditions: explicit treatments.
  {
    name: 'conditional Allow assumed met',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } })],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
  },
  {
    name: 'conditional Allow assumed unmet',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } })],
    options: { allowConditions: 'assume-unmet' },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'implicit-deny',
  },
  {
    name: 'conditional Allow sameAs other condition',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } })],
    options: { allowConditions: { sameAs: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } } },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'implicit-deny',
  },
  {
    name: 'conditional Allow sameAs same condition',
    policies: [
      doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } } }),
    ],
    options: { allowConditions: { sameAs: { StringEquals: { 'aws:RequestedRegion': ['eu-central-1', 'eu-west-1'] } } } },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
  },
  {
    name: 'conditional Deny assumed met',
    policies: [
      doc(
        { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ),
    ],
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'denied',
  },
  {
    name: 'conditional Deny assumed unmet',
    policies: [
      doc(
        { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ),
    ],
    options: { denyConditions: 'assume-unmet' },
    action: 's3:GetObject',
    resource: OBJ,
    expected: 'allowed',
  },
  // Pattern requests.
  {
    name: 'pattern covered by Allow',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/uploads/*',
    expected: 'allowed',
  },
  {
    name: 'pattern wider than Allow',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/uploads/?.png' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/uploads/*',
    expected: 'implicit-deny',
  },
  {
    name: 'pattern touching a Deny',
    policies: [
      doc(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/uploads/secret/*' },
      ),
    ],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/uploads/*',
    expected: 'denied',
  },
  {
    name: 'secret suffix pattern',
    policies: [doc({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*' })],
    action: 'secretsmanager:GetSecretValue',
    resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????',
    expected: 'allowed',
  },
  // Policy variables.
  {
    name: 'unresolved variable: Allow does not apply',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' })],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/alice/x',
    expected: 'implicit-deny',
  },
  {
    name: 'resolved variable',
    policies: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' })],
    options: { variables: { 'aws:username': 'alice' } },
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/alice/x',
    expected: 'allowed',
  },
  {
    name: 'unresolved variable: Deny applies',
    policies: [
      doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' }),
    ],
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/alice/x',
    expected: 'denied',
  },
];

const toOracle: Record<string, Decision> = { Allowed: 'allowed', ExplicitlyDenied: 'denied', ImplicitlyDenied: 'implicit-deny' };

describe('evaluate', () => {
  it.each(rows)('$name', async (row) => {
    const result = evaluate(row.policies, { action: row.action, resource: row.resource }, row.options);
    expect(result.decision).toBe(row.expected);
    if (row.oracle !== true) return;
    const boundary = row.options?.boundary;
    const sim = await runSimulation(
      {
        request: {
          principal: 'arn:aws:iam::123456789012:role/app',
          action: row.action,
          resource: { resource: row.resource, accountId: '123456789012' },
          contextVariables: {},
        },
        identityPolicies: row.policies.map((policy, i) => ({ name: `p${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(boundary !== undefined ? { permissionBoundaryPolicies: [{ name: 'b', policy: boundary }] } : {}),
      },
      {},
    );
    expect(sim.resultType).not.toBe('error');
    if (sim.resultType !== 'error') expect(toOracle[sim.overallResult]).toBe(row.expected);
  });

  it('reports the statements that matched', () => {
    const result = evaluate(
      [
        doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
        doc({ Effect: 'Deny', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ],
      { action: 's3:GetObject', resource: OBJ },
    );
    expect(result.matched).toEqual([
      { source: 'identity', policy: 0, statement: 0, effect: 'Allow', conditional: false },
      { source: 'identity', policy: 1, statement: 0, effect: 'Deny', conditional: true },
    ]);
  });
});

describe('wildcard patterns', () => {
  it.each([
    ['a/*', 'a/b/*', true],
    ['a/*', 'a/b', true],
    ['a/?', 'a/*', false],
    ['a/*b', 'a/x*b', true],
    ['*', '*', true],
    ['a/b', 'a/*', false],
  ] as const)('%s covers %s: %s', (outer, inner, expected) => expect(patternCovers(outer, inner)).toBe(expected));

  it.each([
    ['a/*', 'b/*', false],
    ['a/*', '*/x', true],
    ['a?c', 'abc', true],
    ['a*z', 'b*', false],
  ] as const)('%s meets %s: %s', (a, b, expected) => expect(patternsIntersect(a, b)).toBe(expected));
});

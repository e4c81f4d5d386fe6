/**
 * Live IAM through the production IAM client with aws-sdk-client-mock: both read paths give the
 * same IamSnapshot as the authorization-details file parser, URL-encoded documents included.
 */
import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ExitCode, InputError, UpstreamError } from '../src/errors.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { readAccountIam, readRoleIam } from '../src/iam/live-iam.js';

const ACCOUNT = '111122223333';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service/app`;
const MANAGED_ARN = `arn:aws:iam::${ACCOUNT}:policy/app-read`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
const INLINE_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:eu-west-1:111122223333:q' }] };
const MANAGED_DOC = { Version: '2012-10-17', Statement: [{ Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };
const BOUNDARY_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'sqs:*'], Resource: '*' }] };
/** As the IAM API returns documents: URL-encoded (RFC 3986) JSON. */
const encode = (doc: unknown): string => encodeURIComponent(JSON.stringify(doc));

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());
// Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
afterAll(() => iam.restore());

const fileShape = {
  RoleDetailList: [
    {
      Path: '/service/',
      RoleName: 'app',
      Arn: ROLE_ARN,
      RolePolicyList: [{ PolicyName: 'inline-sqs', PolicyDocument: INLINE_DOC }],
      AttachedManagedPolicies: [{ PolicyName: 'app-read', PolicyArn: MANAGED_ARN }],
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy' as const, PermissionsBoundaryArn: BOUNDARY_ARN },
      RoleLastUsed: { LastUsedDate: '2026-01-05T10:00:00.000Z' },
    },
  ],
  Policies: [
    {
      PolicyName: 'app-read',
      Arn: MANAGED_ARN,
      DefaultVersionId: 'v2',
      PolicyVersionList: [{ Document: MANAGED_DOC, VersionId: 'v2', IsDefaultVersion: true }],
    },
    {
      PolicyName: 'boundary',
      Arn: BOUNDARY_ARN,
      DefaultVersionId: 'v1',
      PolicyVersionList: [{ Document: BOUNDARY_DOC, VersionId: 'v1', IsDefaultVersion: true }],
    },
  ],
};

function mockOneRole(): void {
  iam.on(GetRoleCommand, { RoleName: 'app' }).resolves({
    Role: {
      Path: '/service/',
      RoleName: 'app',
      RoleId: 'AROA',
      Arn: ROLE_ARN,
      CreateDate: new Date('2025-01-01T00:00:00Z'),
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy' as const, PermissionsBoundaryArn: BOUNDARY_ARN },
      RoleLastUsed: { LastUsedDate: new Date('2026-01-05T10:00:00Z'), Region: 'eu-west-1' },
    },
  });
  iam
    .on(ListAttachedRolePoliciesCommand)
    .resolvesOnce({ AttachedPolicies: [], IsTruncated: true, Marker: 'm1' })
    .resolvesOnce({ AttachedPolicies: [{ PolicyName: 'app-read', PolicyArn: MANAGED_ARN }], IsTruncated: false });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['inline-sqs'], IsTruncated: false });
  iam
    .on(GetRolePolicyCommand, { RoleName: 'app', PolicyName: 'inline-sqs' })
    .resolves({ RoleName: 'app', PolicyName: 'inline-sqs', PolicyDocument: encode(INLINE_DOC) });
  iam.on(GetPolicyCommand, { PolicyArn: MANAGED_ARN }).resolves({ Policy: { PolicyName: 'app-read', Arn: MANAGED_ARN, DefaultVersionId: 'v2' } });
  iam.on(GetPolicyCommand, { PolicyArn: BOUNDARY_ARN }).resolves({ Policy: { PolicyName: 'boundary', Arn: BOUNDARY_ARN, DefaultVersionId: 'v1' } });
  iam
    .on(GetPolicyVersionCommand, { PolicyArn: MANAGED_ARN, VersionId: 'v2' })
    .resolves({ PolicyVersion: { Document: encode(MANAGED_DOC), VersionId: 'v2', IsDefaultVersion: true } });
  iam
    .on(GetPolicyVersionCommand, { PolicyArn: BOUNDARY_ARN, VersionId: 'v1' })
    .resolves({ PolicyVersion: { Document: encode(BOUNDARY_DOC), VersionId: 'v1', IsDefaultVersion: true } });
}

describe('live IAM, one role (per-role calls)', () => {
  it('gives the snapshot the file parser gives, decoding URL-encoded documents and the boundary', async () => {
    mockOneRole();
    const live = await readRoleIam(new IAMClient({ region: 'us-east-1' }), 'app');
    const file = parseAuthorizationDetails(fileShape, 'x');
    expect(live.roles).toEqual(file.roles);
    expect(live.source).toBe(`live IAM (account ${ACCOUNT})`);
    expect(live.roles[0]?.boundary?.document.Statement[0]?.Action).toEqual(['s3:*', 'sqs:*']);
    expect(live.roles[0]?.policies.map((p) => p.kind)).toEqual(['inline', 'managed']);
    // Followed the attached-policies Marker.
    expect(iam.commandCalls(ListAttachedRolePoliciesCommand)[1]?.args[0].input.Marker).toBe('m1');
  });

  it('accepts the role ARN and refuses an ARN that IAM resolves to another role', async () => {
    mockOneRole();
    const client = new IAMClient({ region: 'us-east-1' });
    expect((await readRoleIam(client, ROLE_ARN)).roles[0]?.arn).toBe(ROLE_ARN);
    const error = await readRoleIam(client, `arn:aws:iam::999988887777:role/app`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
  });

  it('says a missing role is missing (exit 3), and AccessDenied is an UpstreamError naming the call (exit 4)', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role with name nope cannot be found.', $metadata: {} }));
    const missing = await readRoleIam(new IAMClient({ region: 'us-east-1' }), 'nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InputError);
    iam.reset();
    const denied = Object.assign(new Error('User is not authorized to perform: iam:GetRole'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    iam.on(GetRoleCommand).rejects(denied);
    const error = await readRoleIam(new IAMClient({ region: 'us-east-1' }), 'app').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).exitCode).toBe(ExitCode.Upstream);
    expect((error as UpstreamError).message).toContain('iam:GetRole failed: AccessDenied');
    expect((error as UpstreamError).hint).toContain('docs/permissions.md');
  });
});

describe('live IAM, many roles (GetAccountAuthorizationDetails)', () => {
  it('pages through the account and parses encoded documents like the file path', async () => {
    const [role] = fileShape.RoleDetailList;
    const [managed, boundary] = fileShape.Policies;
    if (role === undefined || managed === undefined || boundary === undefined) throw new Error('fixture');
    const other = {
      ...role,
      RoleName: 'worker',
      Arn: `arn:aws:iam::${ACCOUNT}:role/worker`,
      Path: '/',
      RolePolicyList: [{ PolicyName: 'i', PolicyDocument: encode(INLINE_DOC) }],
      RoleLastUsed: { LastUsedDate: new Date('2026-01-05T10:00:00.000Z') },
    };
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({
        RoleDetailList: [
          {
            ...role,
            RolePolicyList: [{ PolicyName: 'inline-sqs', PolicyDocument: encode(INLINE_DOC) }],
            RoleLastUsed: { LastUsedDate: new Date('2026-01-05T10:00:00.000Z') },
          },
        ],
        Policies: [{ ...managed, PolicyVersionList: [{ Document: encode(MANAGED_DOC), VersionId: 'v2', IsDefaultVersion: true }] }],
        IsTruncated: true,
        Marker: 'page2',
      })
      .resolvesOnce({
        RoleDetailList: [other],
        Policies: [{ ...boundary, PolicyVersionList: [{ Document: encode(BOUNDARY_DOC), VersionId: 'v1', IsDefaultVersion: true }] }],
        IsTruncated: false,
      });
    const live = await readAccountIam(new IAMClient({ region: 'us-east-1' }));
    const file = parseAuthorizationDetails(
      {
        ...fileShape,
        RoleDetailList: [
          ...fileShape.RoleDetailList,
          { ...other, RolePolicyList: [{ PolicyName: 'i', PolicyDocument: INLINE_DOC }], RoleLastUsed: { LastUsedDate: '2026-01-05T10:00:00.000Z' } },
        ],
      },
      'x',
    );
    expect(live.roles).toEqual(file.roles);
    expect(live.roles.map((r) => r.name)).toEqual(['app', 'worker']);
    const calls = iam.commandCalls(GetAccountAuthorizationDetailsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Marker).toBe('page2');
    expect(calls[0]?.args[0].input.Filter).toEqual(['Role', 'LocalManagedPolicy', 'AWSManagedPolicy']);
  });
});

/**
 * Builds `iam.json` in the shape of `aws iam get-account-authorization-details`, with the
 * over-broad grants the demo is about: wildcards, `Action: "*"`, `NotAction`, conditions, a
 * permissions boundary, AWS managed policies with old versions, and one URL-encoded document.
 */
import { AWS_MANAGED_POLICIES } from './aws-managed-policies.js';
import type { JsonObject, RoleSpec } from './call-spec.js';
import { Prng, hashSeed } from './prng.js';

/** What the generator learnt about a role that IAM would report as RoleLastUsed. */
export interface RoleUsageSummary {
  lastUsed?: { date: string; region: string };
}

const V = '2012-10-17';
const allow = (action: string | string[], resource: string | string[] = '*', extra: JsonObject = {}): JsonObject => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...extra,
});
const doc = (...statements: JsonObject[]): JsonObject => ({ Version: V, Statement: statements });

/** Stable IAM-style unique ids (`AROA…`, `ANPA…`) derived from a name. */
export function iamId(prefix: string, name: string): string {
  return prefix + new Prng(hashSeed('iam-id', prefix, name)).upperAlnum(17);
}

function trustFor(role: RoleSpec, account: string): JsonObject {
  switch (role.kind) {
    case 'lambda':
      return doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' });
    case 'ecs':
      return doc({ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' });
    case 'ec2':
      return doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
    case 'service-linked':
      return doc({ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' });
    case 'github-oidc':
      return doc({
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/orders:*' },
        },
      });
  }
}

interface Grant {
  inline: Array<{ name: string; document: JsonObject; urlEncoded?: boolean }>;
  /** Policy ARNs; customer managed ones are `arn:aws:iam::<acct>:policy/...`. */
  attached: string[];
  boundary?: string;
}

function awsArn(name: string): string {
  const policy = AWS_MANAGED_POLICIES.find((p) => p.name === name);
  if (policy === undefined) throw new Error(`no AWS managed policy ${name} in the demo data`);
  return `arn:aws:iam::aws:policy${policy.path}${name}`;
}

function grantFor(role: RoleSpec, account: string, rng: Prng): Grant {
  const local = (name: string): string => `arn:aws:iam::${account}:policy/${name}`;
  switch (role.name) {
    case 'app-api':
      return {
        inline: [{ name: 'app-api-data', document: doc(allow('s3:*'), allow('dynamodb:*')) }],
        attached: [local('app-common'), awsArn('AWSLambdaBasicExecutionRole')],
        boundary: local('service-boundary'),
      };
    case 'queue-worker':
      return {
        inline: [
          {
            name: 'queue-worker-access',
            urlEncoded: true,
            document: doc(
              allow(['sqs:*', 'sns:*'], '*', { Sid: 'Messaging', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } }),
              allow(['s3:PutObject', 's3:GetObject'], `arn:aws:s3:::reports-${account}/*`, { Sid: 'Reports' }),
            ),
          },
        ],
        attached: [awsArn('AmazonS3ReadOnlyAccess')],
      };
    case 'ci-deploy':
      return {
        inline: [
          {
            name: 'deploy-everything',
            document: doc(allow('*'), { Sid: 'NoUsersOrOrgs', Effect: 'Deny', Action: ['iam:*User*', 'organizations:*'], Resource: '*' }),
          },
        ],
        attached: [],
      };
    case 'data-pipeline':
      return { inline: [{ name: 'pipeline', document: doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }) }], attached: [] };
    case 'legacy-batch':
      return { inline: [{ name: 'legacy', document: doc(allow(['ec2:*', 's3:*'])) }], attached: [] };
    case 'AWSServiceRoleForECS':
      return { inline: [], attached: [awsArn('AmazonECSServiceRolePolicy')] };
    default: {
      const prefixes = new Set<string>();
      for (const c of role.calls) if (c.denied === undefined) for (const a of c.actions) prefixes.add(a.slice(0, a.indexOf(':')));
      const attached = rng.chance(0.3) ? [awsArn('AmazonS3ReadOnlyAccess')] : [];
      return { inline: [{ name: `${role.name}-policy`, document: doc(allow([...prefixes].sort().map((p) => `${p}:*`))) }], attached };
    }
  }
}

const iso = (date: string): string => `${date.slice(0, 19)}+00:00`;

function customerPolicies(_account: string): Array<{ name: string; versions: Array<{ id: string; created: string; document: JsonObject }> }> {
  return [
    {
      name: 'app-common',
      versions: [
        { id: 'v2', created: '2024-06-11T09:12:44Z', document: doc(allow('logs:*'), allow(['kms:Decrypt', 'secretsmanager:GetSecretValue'])) },
        { id: 'v1', created: '2023-02-03T14:01:10Z', document: doc(allow('logs:*')) },
      ],
    },
    {
      name: 'service-boundary',
      versions: [
        {
          id: 'v1',
          created: '2023-02-03T14:01:10Z',
          document: doc(allow(['s3:*', 'dynamodb:*', 'kms:*', 'secretsmanager:*', 'logs:*', 'sqs:*', 'sns:*'], '*', { Sid: 'ServiceBoundary' })),
        },
      ],
    },
  ];
}

/** The authorization-details document for `roles`; `usage` fills RoleLastUsed. */
export function buildAuthorizationDetails(roles: readonly RoleSpec[], account: string, now: Date, usage: ReadonlyMap<string, RoleUsageSummary>): JsonObject {
  const attachCount = new Map<string, number>();
  const boundaryCount = new Map<string, number>();
  const roleDetails: JsonObject[] = roles.map((role) => {
    const grant = grantFor(role, account, new Prng(hashSeed('grant', role.name)));
    for (const arn of grant.attached) attachCount.set(arn, (attachCount.get(arn) ?? 0) + 1);
    if (grant.boundary !== undefined) boundaryCount.set(grant.boundary, (boundaryCount.get(grant.boundary) ?? 0) + 1);
    const lastUsed = usage.get(role.name)?.lastUsed;
    const idle = role.name === 'legacy-batch' ? { LastUsedDate: iso(new Date(now.getTime() - 200 * 86_400_000).toISOString()), Region: 'eu-west-1' } : {};
    const detail: JsonObject = {
      Path: role.path,
      RoleName: role.name,
      RoleId: iamId('AROA', role.name),
      Arn: `arn:aws:iam::${account}:role${role.path}${role.name}`,
      CreateDate: '2023-02-03T14:00:00+00:00',
      AssumeRolePolicyDocument: trustFor(role, account),
      InstanceProfileList:
        role.kind === 'ec2'
          ? [
              {
                Path: '/',
                InstanceProfileName: role.name,
                InstanceProfileId: iamId('AIPA', role.name),
                Arn: `arn:aws:iam::${account}:instance-profile/${role.name}`,
                CreateDate: '2023-02-03T14:00:00+00:00',
                Roles: [],
              },
            ]
          : [],
      RolePolicyList: grant.inline.map((p) => ({
        PolicyName: p.name,
        PolicyDocument: p.urlEncoded === true ? encodeURIComponent(JSON.stringify(p.document)) : p.document,
      })),
      AttachedManagedPolicies: grant.attached.map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })),
    };
    if (grant.boundary !== undefined) detail['PermissionsBoundary'] = { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: grant.boundary };
    detail['Tags'] = [{ Key: 'team', Value: role.name.startsWith('svc-') ? 'platform' : 'orders' }];
    detail['RoleLastUsed'] = lastUsed !== undefined ? { LastUsedDate: iso(lastUsed.date), Region: lastUsed.region } : idle;
    return detail;
  });

  const policies: JsonObject[] = [];
  for (const p of customerPolicies(account)) {
    const arn = `arn:aws:iam::${account}:policy/${p.name}`;
    policies.push({
      PolicyName: p.name,
      PolicyId: iamId('ANPA', p.name),
      Arn: arn,
      Path: '/',
      DefaultVersionId: p.versions[0]?.id ?? 'v1',
      AttachmentCount: attachCount.get(arn) ?? 0,
      PermissionsBoundaryUsageCount: boundaryCount.get(arn) ?? 0,
      IsAttachable: true,
      CreateDate: iso(p.versions[p.versions.length - 1]?.created ?? '2023-02-03T14:00:00Z'),
      UpdateDate: iso(p.versions[0]?.created ?? '2023-02-03T14:00:00Z'),
      PolicyVersionList: p.versions.map((v, i) => ({ Document: v.document, VersionId: v.id, IsDefaultVersion: i === 0, CreateDate: iso(v.created) })),
    });
  }
  for (const p of AWS_MANAGED_POLICIES) {
    const arn = `arn:aws:iam::aws:policy${p.path}${p.name}`;
    const def = p.versions.find((v) => v.IsDefaultVersion);
    policies.push({
      PolicyName: p.name,
      PolicyId: p.policyId,
      Arn: arn,
      Path: p.path,
      DefaultVersionId: def?.VersionId ?? 'v1',
      AttachmentCount: attachCount.get(arn) ?? 0,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
      CreateDate: iso(p.createDate),
      UpdateDate: iso(def?.CreateDate ?? p.createDate),
      PolicyVersionList: p.versions.map((v) => ({
        Document: v.Document,
        VersionId: v.VersionId,
        IsDefaultVersion: v.IsDefaultVersion,
        CreateDate: iso(v.CreateDate),
      })),
    });
  }

  return {
    UserDetailList: [
      {
        Path: '/',
        UserName: 'alice',
        UserId: 'AIDAZ3KQ7PLM2XNDE5QRT',
        Arn: `arn:aws:iam::${account}:user/alice`,
        CreateDate: '2022-11-20T08:30:00+00:00',
        GroupList: ['developers'],
        AttachedManagedPolicies: [],
        Tags: [],
      },
    ],
    GroupDetailList: [
      {
        Path: '/',
        GroupName: 'developers',
        GroupId: iamId('AGPA', 'developers'),
        Arn: `arn:aws:iam::${account}:group/developers`,
        CreateDate: '2022-11-20T08:29:00+00:00',
        GroupPolicyList: [
          {
            PolicyName: 'console-read',
            PolicyDocument: doc(
              allow(['iam:Get*', 'iam:List*', 's3:ListAllMyBuckets', 'ec2:Describe*', 'cloudwatch:Describe*', 'lambda:List*', 'cloudtrail:LookupEvents']),
            ),
          },
        ],
        AttachedManagedPolicies: [],
      },
    ],
    RoleDetailList: roleDetails,
    Policies: policies,
  };
}

/** `aws lambda list-functions` output: two functions share `app-api`; Lambda-kind extra roles get one each. */
export function buildLambdaFunctions(roles: readonly RoleSpec[], account: string, region: string): JsonObject {
  const functions: JsonObject[] = [];
  for (const role of roles) {
    if (role.kind !== 'lambda') continue;
    const names = role.sessionNames.length > 0 ? role.sessionNames : [`${role.name}-fn`];
    for (const name of names) {
      const rng = new Prng(hashSeed('lambda', name));
      functions.push({
        FunctionName: name,
        FunctionArn: `arn:aws:lambda:${region}:${account}:function:${name}`,
        Runtime: 'nodejs20.x',
        Role: `arn:aws:iam::${account}:role${role.path}${role.name}`,
        Handler: 'index.handler',
        CodeSize: rng.int(20_000, 4_000_000),
        Description: role.description,
        Timeout: 30,
        MemorySize: 512,
        LastModified: '2026-01-05T10:21:33.000+0000',
        CodeSha256: `${rng.alnum(43)}=`,
        Version: '$LATEST',
        TracingConfig: { Mode: 'PassThrough' },
        RevisionId: rng.uuid(),
        PackageType: 'Zip',
        Architectures: ['arm64'],
        EphemeralStorage: { Size: 512 },
        SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
        LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` },
      });
    }
  }
  return { Functions: functions };
}

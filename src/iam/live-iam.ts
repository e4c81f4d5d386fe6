/**
 * Reads what roles are granted from live IAM, producing the same IamSnapshot as an
 * authorization-details file: the responses are assembled into that file's shape and handed to
 * `parseAuthorizationDetails`, so both paths share one parser (URL-encoded documents, default
 * versions, boundaries). Many roles: one paginated GetAccountAuthorizationDetails. One role: the
 * narrower per-role calls, which need far fewer permissions.
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
  type AttachedPolicy,
} from '@aws-sdk/client-iam';
import type { AwsClientConfig } from '../aws/client-config.js';
import { callAws } from '../aws/errors.js';
import { InputError, UpstreamError } from '../errors.js';
import type { IamSnapshot } from '../model.js';
import { parseAuthorizationDetails } from './authorization-details.js';

/** IAM is global; its endpoint lives in us-east-1 (aws partition) unless the user says otherwise. */
const IAM_DEFAULT_REGION = 'us-east-1';

type Json = Record<string, unknown>;

/** Dates become ISO strings, as in `aws iam get-account-authorization-details` output. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== '$metadata')
        .map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? 'unknown';
}

/** The role name of `name|arn` (an ARN's last path segment). */
export function roleNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}

/** Every role and every managed policy of the account, through GetAccountAuthorizationDetails. */
export async function readAccountIam(client: IAMClient): Promise<IamSnapshot> {
  const roles: unknown[] = [];
  const policies: unknown[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws('iam:GetAccountAuthorizationDetails', () =>
      client.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
          MaxItems: 1000,
          ...(marker !== undefined ? { Marker: marker } : {}),
        }),
      ),
    );
    roles.push(...(page.RoleDetailList ?? []).map(plain));
    policies.push(...(page.Policies ?? []).map(plain));
    marker = page.IsTruncated === true ? page.Marker : undefined;
    if (page.IsTruncated === true && marker === undefined) {
      throw new UpstreamError('iam:GetAccountAuthorizationDetails said the list is truncated but gave no Marker');
    }
  } while (marker !== undefined);
  const first = roles[0] as Json | undefined;
  const account = typeof first?.['Arn'] === 'string' ? accountOf(first['Arn']) : 'unknown';
  return parseAuthorizationDetails({ RoleDetailList: roles, Policies: policies }, `live IAM (account ${account})`);
}

async function defaultVersion(client: IAMClient, policyArn: string): Promise<Json> {
  const policy = await callAws('iam:GetPolicy', () => client.send(new GetPolicyCommand({ PolicyArn: policyArn })));
  const versionId = policy.Policy?.DefaultVersionId;
  if (versionId === undefined) throw new UpstreamError(`iam:GetPolicy ${policyArn}: no DefaultVersionId`);
  const version = await callAws('iam:GetPolicyVersion', () => client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })));
  return {
    PolicyName: policy.Policy?.PolicyName ?? policyArn.slice(policyArn.lastIndexOf('/') + 1),
    Arn: policyArn,
    DefaultVersionId: versionId,
    PolicyVersionList: [{ Document: version.PolicyVersion?.Document, VersionId: versionId, IsDefaultVersion: true }],
  };
}

/** One role through the per-role calls (GetRole, List/GetRolePolicy, attached and boundary policies). */
export async function readRoleIam(client: IAMClient, nameOrArn: string): Promise<IamSnapshot> {
  const roleName = roleNameOf(nameOrArn);
  const got = await callAws('iam:GetRole', () => client.send(new GetRoleCommand({ RoleName: roleName }))).catch((error: unknown) => {
    if (error instanceof UpstreamError && /NoSuchEntity/.test(error.message)) {
      throw new InputError(`--role ${nameOrArn}: no such role in live IAM`, {
        hint: 'check the name, and --profile / --assume-role for the account the role lives in',
      });
    }
    throw error;
  });
  const role = got.Role;
  if (role?.Arn === undefined || role.RoleName === undefined) throw new UpstreamError(`iam:GetRole ${roleName}: no role in the answer`);
  if (nameOrArn.startsWith('arn:') && role.Arn !== nameOrArn) {
    throw new InputError(`--role ${nameOrArn}: live IAM has ${role.Arn} under that name`, {
      hint: 'the ARN names another account or path; use --assume-role to read the right account',
    });
  }

  const attached: AttachedPolicy[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws('iam:ListAttachedRolePolicies', () =>
      client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, ...(marker !== undefined ? { Marker: marker } : {}) })),
    );
    attached.push(...(page.AttachedPolicies ?? []));
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);

  const inline: Json[] = [];
  do {
    const page = await callAws('iam:ListRolePolicies', () =>
      client.send(new ListRolePoliciesCommand({ RoleName: roleName, ...(marker !== undefined ? { Marker: marker } : {}) })),
    );
    for (const policyName of page.PolicyNames ?? []) {
      const doc = await callAws('iam:GetRolePolicy', () => client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      inline.push({ PolicyName: policyName, PolicyDocument: doc.PolicyDocument });
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);

  const policyArns = new Set(attached.map((p) => p.PolicyArn).filter((a): a is string => a !== undefined));
  const boundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn;
  if (boundaryArn !== undefined) policyArns.add(boundaryArn);
  const policies: Json[] = [];
  for (const arn of [...policyArns].sort()) policies.push(await defaultVersion(client, arn));

  const detail = plain({
    Path: role.Path ?? '/',
    RoleName: role.RoleName,
    Arn: role.Arn,
    RolePolicyList: inline,
    AttachedManagedPolicies: attached.map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.PolicyArn })),
    ...(role.PermissionsBoundary !== undefined ? { PermissionsBoundary: role.PermissionsBoundary } : {}),
    ...(role.RoleLastUsed !== undefined ? { RoleLastUsed: role.RoleLastUsed } : {}),
  });
  return parseAuthorizationDetails({ RoleDetailList: [detail], Policies: policies }, `live IAM (account ${accountOf(role.Arn)})`);
}

/** An IAM client with iamtrim's AWS configuration (IAM is global: us-east-1 by default). */
export function iamClient(config: AwsClientConfig): IAMClient {
  return new IAMClient({ ...config, region: config.region ?? IAM_DEFAULT_REGION });
}

/**
 * Live IAM for the roles a command needs: per-role calls for exactly one role, the account-wide
 * call for several or all.
 */
export async function readLiveIam(config: AwsClientConfig, roles: readonly string[]): Promise<IamSnapshot> {
  const client = iamClient(config);
  try {
    return roles.length === 1 && roles[0] !== undefined ? await readRoleIam(client, roles[0]) : await readAccountIam(client);
  } finally {
    client.destroy();
  }
}

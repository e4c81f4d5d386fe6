/**
 * Reads what roles are granted from `aws iam get-account-authorization-details` output: inline
 * policies, attached managed policies resolved through `Policies[].PolicyVersionList`'s default
 * version, and permissions boundaries. Policy documents may be URL-encoded strings (as the IAM
 * API returns them) or objects (as the AWS CLI prints them).
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { IamSnapshot, InstanceProfileEntity, NamedIamEntity, PolicyDocument, RoleGrant, RolePolicy, Statement } from '../model.js';
import { compareText } from '../util/compare-text.js';

const stringOrList = z.union([z.string(), z.array(z.string())]);
const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: stringOrList.optional(),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional(),
    NotResource: stringOrList.optional(),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    Principal: z.unknown().optional(),
    NotPrincipal: z.unknown().optional(),
  })
  .loose();
const documentSchema = z.object({
  Version: z.string().optional(),
  Id: z.string().optional(),
  Statement: z.union([statementSchema, z.array(statementSchema)]),
});

const roleSchema = z.object({
  Path: z.string().default('/'),
  RoleName: z.string(),
  Arn: z.string(),
  RolePolicyList: z.array(z.object({ PolicyName: z.string(), PolicyDocument: z.unknown() })).default([]),
  AttachedManagedPolicies: z.array(z.object({ PolicyName: z.string(), PolicyArn: z.string() })).default([]),
  PermissionsBoundary: z.object({ PermissionsBoundaryArn: z.string() }).loose().optional(),
  RoleLastUsed: z.object({ LastUsedDate: z.string().optional() }).loose().optional(),
  AssumeRolePolicyDocument: z.unknown().optional(),
  CreateDate: z.string().optional(),
  InstanceProfileList: z
    .array(
      z
        .object({
          Path: z.string().default('/'),
          InstanceProfileName: z.string(),
          Arn: z.string(),
          Roles: z.array(z.object({ Arn: z.string() }).loose()).default([]),
        })
        .loose(),
    )
    .default([]),
});
const userSchema = z.object({ Path: z.string().default('/'), UserName: z.string(), Arn: z.string() }).loose();
const policySchema = z.object({
  PolicyName: z.string(),
  Path: z.string().default('/'),
  Arn: z.string(),
  DefaultVersionId: z.string().optional(),
  UpdateDate: z.string().optional(),
  // Real exports (cloudsplaining's example) carry null counts: unknown, never "attached to nothing".
  AttachmentCount: z.number().nullable().optional(),
  PermissionsBoundaryUsageCount: z.number().nullable().optional(),
  PolicyVersionList: z
    .array(z.object({ Document: z.unknown(), VersionId: z.string().optional(), IsDefaultVersion: z.boolean().optional(), CreateDate: z.string().optional() }))
    .default([]),
});
const fileSchema = z.object({
  RoleDetailList: z.array(z.unknown()),
  Policies: z.array(z.unknown()).default([]),
  UserDetailList: z.array(z.unknown()).default([]),
  GroupDetailList: z.array(z.unknown()).default([]),
});
/** Any principal entry, read only for its managed-policy attachments. */
const attachingSchema = z.object({ Arn: z.string(), AttachedManagedPolicies: z.array(z.object({ PolicyArn: z.string() }).loose()).default([]) }).loose();

/** Managed policy ARN -> the ARNs of every role, user and group it is attached to (sorted). */
function attachmentsOf(lists: ReadonlyArray<readonly unknown[]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const list of lists) {
    for (const raw of list) {
      const principal = attachingSchema.safeParse(raw);
      if (!principal.success) continue;
      for (const p of principal.data.AttachedManagedPolicies) out.set(p.PolicyArn, [...(out.get(p.PolicyArn) ?? []), principal.data.Arn]);
    }
  }
  for (const arns of out.values()) arns.sort(compareText);
  return out;
}

/** Parses one policy document: an object, JSON text, or URL-encoded JSON text. */
export function parsePolicyDocument(raw: unknown, where: string): PolicyDocument {
  let value = raw;
  if (typeof value === 'string') {
    let text = value.trim();
    if (!text.startsWith('{')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        throw new InputError(`${where}: the policy document is neither JSON nor URL-encoded JSON`);
      }
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new InputError(`${where}: the policy document is not valid JSON`);
    }
  }
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${where}: not an IAM policy document (${issue ? `${issue.path.join('.') || 'document'}: ${issue.message}` : 'invalid'})`);
  }
  const statements = Array.isArray(parsed.data.Statement) ? parsed.data.Statement : [parsed.data.Statement];
  const doc: PolicyDocument = { Statement: statements as Statement[] };
  if (parsed.data.Version !== undefined) doc.Version = parsed.data.Version;
  return doc;
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/**
 * Parses an authorization-details document. `source` (the file name) goes into every message.
 * A managed policy attached to a role but absent from `Policies` is an error: without its
 * document the grant is unknown, and guessing would make used calls look ungranted.
 */
export function parseAuthorizationDetails(json: unknown, source: string): IamSnapshot {
  const file = fileSchema.safeParse(json);
  if (!file.success) {
    throw new InputError(`${source}: not an authorization-details file (no RoleDetailList)`, {
      hint: 'create it with `aws iam get-account-authorization-details > iam.json`',
    });
  }
  const managed = new Map<string, PolicyDocument>();
  /** Managed policy ARN -> when its default version was created (else the policy's UpdateDate). */
  const versionDates = new Map<string, string>();
  const policies: NamedIamEntity[] = [];
  const unattached: NamedIamEntity[] = [];
  const missingDefault: string[] = [];
  for (const [i, rawPolicy] of file.data.Policies.entries()) {
    const policy = policySchema.safeParse(rawPolicy);
    if (!policy.success) throw new InputError(`${source}: Policies[${i}] is malformed (${policy.error.issues[0]?.message ?? ''})`);
    policies.push({ arn: policy.data.Arn, name: policy.data.PolicyName, path: policy.data.Path });
    if (!policy.data.Arn.startsWith('arn:aws:iam::aws:') && policy.data.AttachmentCount === 0 && policy.data.PermissionsBoundaryUsageCount === 0) {
      unattached.push({ arn: policy.data.Arn, name: policy.data.PolicyName, path: policy.data.Path });
    }
    const version =
      policy.data.PolicyVersionList.find((v) => v.IsDefaultVersion === true) ??
      policy.data.PolicyVersionList.find((v) => v.VersionId === policy.data.DefaultVersionId);
    if (version === undefined) {
      missingDefault.push(policy.data.Arn);
      continue;
    }
    managed.set(policy.data.Arn, parsePolicyDocument(version.Document, `${source}: policy ${policy.data.Arn}`));
    const versionDate = version.CreateDate ?? policy.data.UpdateDate;
    if (versionDate !== undefined) versionDates.set(policy.data.Arn, versionDate);
  }

  const attachments = attachmentsOf([file.data.RoleDetailList, file.data.UserDetailList, file.data.GroupDetailList]);
  const resolve = (arn: string, name: string, kind: 'managed' | 'boundary', role: string): RolePolicy => {
    const document = managed.get(arn);
    if (document === undefined) {
      throw new InputError(`${source}: role ${role} uses managed policy ${arn}, whose document is not in the file`, {
        hint: 'export the whole account with `aws iam get-account-authorization-details` (no --filter), so Policies[] holds every attached policy',
      });
    }
    const versionDate = versionDates.get(arn);
    return {
      kind,
      name,
      arn,
      document,
      ...(kind === 'managed' ? { attachedTo: attachments.get(arn) ?? [] } : {}),
      ...(versionDate !== undefined ? { versionDate } : {}),
    };
  };

  const instanceProfiles = new Map<string, InstanceProfileEntity>();
  const roles: RoleGrant[] = file.data.RoleDetailList.map((rawRole, i) => {
    const parsed = roleSchema.safeParse(rawRole);
    if (!parsed.success) {
      throw new InputError(
        `${source}: RoleDetailList[${i}] is malformed (${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''})`,
      );
    }
    const r = parsed.data;
    for (const p of r.InstanceProfileList) {
      const held = [...new Set([...(instanceProfiles.get(p.Arn)?.roles ?? []), ...p.Roles.map((x) => x.Arn), r.Arn])].sort(compareText);
      instanceProfiles.set(p.Arn, { arn: p.Arn, name: p.InstanceProfileName, path: p.Path, roles: held });
    }
    const rolePolicies: RolePolicy[] = [
      ...r.RolePolicyList.map((p): RolePolicy => ({
        kind: 'inline',
        name: p.PolicyName,
        document: parsePolicyDocument(p.PolicyDocument, `${source}: role ${r.RoleName} inline policy ${p.PolicyName}`),
      })),
      ...r.AttachedManagedPolicies.map((p) => resolve(p.PolicyArn, p.PolicyName, 'managed', r.RoleName)),
    ];
    const grant: RoleGrant = {
      arn: r.Arn,
      name: r.RoleName,
      path: r.Path,
      accountId: accountOf(r.Arn),
      policies: rolePolicies,
      serviceLinked: r.Path.startsWith('/aws-service-role/'),
      ...(r.CreateDate !== undefined ? { createDate: r.CreateDate } : {}),
    };
    if (r.PermissionsBoundary !== undefined) {
      const arn = r.PermissionsBoundary.PermissionsBoundaryArn;
      grant.boundary = resolve(arn, arn.slice(arn.lastIndexOf('/') + 1), 'boundary', r.RoleName);
    }
    if (r.RoleLastUsed?.LastUsedDate !== undefined) grant.lastUsed = r.RoleLastUsed.LastUsedDate;
    if (r.AssumeRolePolicyDocument !== undefined) {
      // Who may assume the role decides what kind of role it is (drift's advice); a trust policy
      // iamtrim cannot read only loses that advice, never the grant.
      try {
        grant.trust = parsePolicyDocument(r.AssumeRolePolicyDocument, `${source}: role ${r.RoleName} trust policy`);
      } catch {
        // left without a trust policy: the role's kind reads as unknown
      }
    }
    return grant;
  });
  roles.sort((a, b) => compareText(a.arn, b.arn));
  const users = file.data.UserDetailList.flatMap((raw): NamedIamEntity[] => {
    const u = userSchema.safeParse(raw);
    return u.success ? [{ arn: u.data.Arn, name: u.data.UserName, path: u.data.Path }] : [];
  });
  const byArn = (a: NamedIamEntity, b: NamedIamEntity): number => compareText(a.arn, b.arn);
  return {
    source,
    roles,
    instanceProfiles: [...instanceProfiles.values()].sort(byArn),
    users: users.sort(byArn),
    policies: policies.sort(byArn),
    ...(file.data.Policies.length > 0 ? { unattachedPolicies: unattached.sort(byArn) } : {}),
  };
}

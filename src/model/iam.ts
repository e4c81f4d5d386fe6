/**
 * IAM vocabulary: identifiers (actions, ARNs, role ARNs), policy documents in their wire format,
 * and what a role is granted (`RoleGrant`, `IamSnapshot`, the snapshot's resource identity).
 */

/** An IAM action in its canonical case, e.g. `s3:GetObject`. */
export type ActionId = string;
/** An ARN or an ARN pattern with `*` / `?` wildcards. */
export type Arn = string;
/** The full IAM role ARN including its path, e.g. `arn:aws:iam::123456789012:role/service/app-api`. */
export type RoleArn = string;

// ---------------------------------------------------------------------------------------------
// IAM policy documents (wire format)
// ---------------------------------------------------------------------------------------------

export type ConditionValue = string | number | boolean | ReadonlyArray<string | number | boolean>;
/** `{ "StringEquals": { "aws:RequestedRegion": ["eu-west-1"] } }` */
export type ConditionBlock = Record<string, Record<string, ConditionValue>>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
  Principal?: unknown;
  NotPrincipal?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

/** One policy as it applies to a role: inline, attached managed, or the permissions boundary. */
export interface RolePolicy {
  kind: 'inline' | 'managed' | 'boundary';
  name: string;
  /** Managed policies only. */
  arn?: string;
  document: PolicyDocument;
  /**
   * Managed policies: every principal (role, user, group ARN) it is attached to, this role
   * included, when the snapshot lists them (authorization details do); absent when unknown.
   */
  attachedTo?: string[];
  /** Managed policies: when the default version was created (ISO-8601), when the snapshot says. */
  versionDate?: string;
}

/** What a role is granted, read from an authorization-details file or live IAM. */
export interface RoleGrant {
  arn: RoleArn;
  name: string;
  path: string;
  accountId: string;
  /** Identity policies: inline and attached managed. */
  policies: RolePolicy[];
  boundary?: RolePolicy;
  /** Service-linked roles (path `/aws-service-role/`) cannot be edited. */
  serviceLinked: boolean;
  /** ISO-8601, from RoleLastUsed when the snapshot has it. */
  lastUsed?: string;
  /** ISO-8601, when the role was created (authorization details give it). */
  createDate?: string;
  /** The trust policy (AssumeRolePolicyDocument) when the snapshot has it: who can assume the role. */
  trust?: PolicyDocument;
}

export interface IamSnapshot extends IamIdentity {
  /** Where the snapshot came from: a file path or `live IAM (account …)`. */
  source: string;
  roles: RoleGrant[];
  /**
   * Customer-managed policies attached to no role, user or group and used as no permissions
   * boundary (AttachmentCount and PermissionsBoundaryUsageCount both 0). Absent when unknown.
   */
  unattachedPolicies?: NamedIamEntity[];
}

/** An IAM entity known by ARN, name and path (`/` or `/service-role/`). */
export interface NamedIamEntity {
  arn: string;
  name: string;
  path: string;
}

/** An instance profile and the role ARNs it holds (at most one today). */
export interface InstanceProfileEntity extends NamedIamEntity {
  roles: string[];
}

/**
 * What the IAM snapshot says about resource identity, for the mapper: which roles, users, instance
 * profiles and managed policies exist, with their paths. `IamSnapshot` is one.
 */
export interface IamIdentity {
  roles: readonly NamedIamEntity[];
  users?: readonly NamedIamEntity[];
  instanceProfiles?: readonly InstanceProfileEntity[];
  policies?: readonly NamedIamEntity[];
}

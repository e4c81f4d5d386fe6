/**
 * Resource identity from the IAM snapshot: what a role, user or instance profile named by name in
 * a request stands for. IAM ARNs carry the entity's path (`role/service-role/orders-api`), which
 * requests that name the entity never show; the snapshot (`get-account-authorization-details`)
 * knows it. Pure: the snapshot is an input, nothing is read.
 *
 * A name the snapshot does not know (an entity in another account, or created after the snapshot)
 * stays ambiguous: it stands for `NAME` or `*\/NAME`, the narrowest patterns that cover every path
 * the entity can have, and never a wider one.
 */
import type { IamIdentity, InstanceProfileEntity, NamedIamEntity } from '../model.js';
import type { CallContext, ParamValues } from './derive-params.js';

export type IamEntityKind = 'role' | 'user' | 'instance-profile';

/** What a name stands for: path + name forms (no leading `/`), and whether the snapshot knew it. */
export interface ResolvedName {
  values: string[];
  known: boolean;
}

export interface IdentityResolver {
  /** The `${...NameWithPath}` values of an entity named by name in `account`. */
  nameWithPath(kind: IamEntityKind, name: string, account: string): ResolvedName;
  /** ARNs (or ARN patterns) of a role given by name or ARN. */
  roleArns(nameOrArn: string, ctx: CallContext): ResolvedName;
  /** The instance profile given by name or ARN, when the snapshot knows it. */
  instanceProfile(nameOrArn: string, account: string): InstanceProfileEntity | undefined;
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '');
}

/** `service-role/orders-api` for path `/service-role/` and name `orders-api`. */
export function nameWithPath(path: string, name: string): string {
  return `${trimSlashes(path)}${name}`;
}

export function createIdentityResolver(identity: IamIdentity | undefined): IdentityResolver {
  const index = new Map<string, NamedIamEntity>();
  const add = (kind: IamEntityKind, list: readonly NamedIamEntity[] | undefined): void => {
    for (const e of list ?? []) index.set(`${kind}\u0000${accountOf(e.arn)}\u0000${e.name}`, e);
  };
  add('role', identity?.roles);
  add('user', identity?.users);
  add('instance-profile', identity?.instanceProfiles);
  const profiles = new Map((identity?.instanceProfiles ?? []).map((p) => [p.arn, p]));

  const resolver: IdentityResolver = {
    nameWithPath(kind, name, account) {
      const known = index.get(`${kind}\u0000${account}\u0000${name}`);
      if (known !== undefined) return { values: [nameWithPath(known.path, known.name)], known: true };
      return { values: [name, `*/${name}`], known: false };
    },
    roleArns(nameOrArn, ctx) {
      if (nameOrArn.startsWith('arn:')) return { values: [nameOrArn], known: true };
      const r = resolver.nameWithPath('role', nameOrArn, ctx.account);
      return { values: r.values.map((v) => `arn:${ctx.partition}:iam::${ctx.account}:role/${v}`), known: r.known };
    },
    instanceProfile(nameOrArn, account) {
      if (nameOrArn.startsWith('arn:')) return profiles.get(nameOrArn);
      const e = index.get(`instance-profile\u0000${account}\u0000${nameOrArn}`);
      return e === undefined ? undefined : profiles.get(e.arn);
    },
  };
  return resolver;
}

/**
 * The request parameters that name IAM entities by name, and the derived parameter holding their
 * path + name forms (the Service Authorization Reference's `${RoleNameWithPath}` and kin).
 */
const NAMED: readonly { param: string; kind: IamEntityKind; derived: string; creator: string }[] = [
  { param: 'roleName', kind: 'role', derived: 'roleNameWithPath', creator: 'CreateRole' },
  { param: 'userName', kind: 'user', derived: 'userNameWithPath', creator: 'CreateUser' },
  { param: 'instanceProfileName', kind: 'instance-profile', derived: 'instanceProfileNameWithPath', creator: 'CreateInstanceProfile' },
];

/**
 * Adds `roleNameWithPath`, `userNameWithPath` and `instanceProfileNameWithPath` to derived
 * parameters. The call that creates the entity gives its path itself (`CreateRole` `path`, which
 * defaults to `/` when absent, as the IAM API reference says); else the snapshot says; else the
 * name is ambiguous. Returns the names that stayed ambiguous.
 */
export function addIdentityParams(params: ParamValues, resolver: IdentityResolver, ctx: CallContext, eventName = ''): string[] {
  const ambiguous: string[] = [];
  for (const n of NAMED) {
    const name = params[n.param]?.[0];
    if (name === undefined || name === '' || name.startsWith('arn:')) continue;
    const path = params['path']?.[0] ?? (eventName === n.creator ? '/' : undefined);
    if (path !== undefined && path.startsWith('/') && path.endsWith('/')) {
      params[n.derived] = [nameWithPath(path, name)];
      continue;
    }
    const r = resolver.nameWithPath(n.kind, name, ctx.account);
    params[n.derived] = r.values;
    if (!r.known) ambiguous.push(`${n.kind} ${name}`);
  }
  return ambiguous;
}

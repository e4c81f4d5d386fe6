/**
 * Wildcard expansion over the action catalogue (our own; iam-expand is AGPL) and the set of
 * concrete actions a role is granted: identity Allows, minus unconditional Denies on every
 * resource, intersected with the permissions boundary.
 */
import type { ActionId, RoleGrant, Statement } from '../model.js';
import type { IamCatalog } from './catalog.js';

const regexCache = new Map<string, RegExp>();

/** IAM wildcard matching: `*` any run of characters, `?` exactly one. */
export function wildcardRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = regexCache.get(cacheKey);
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    regexCache.set(cacheKey, re);
  }
  return re;
}

/** Action names match case-insensitively; resource ARNs case-sensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern === '*' || wildcardRegExp(pattern, true).test(action);
}

export function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** Concrete catalogue actions matched by one pattern (`s3:Get*`, `*`, `ec2:DescribeInstances`). */
export function expandActionPattern(catalog: IamCatalog, pattern: string): ActionId[] {
  if (pattern === '*') return catalog.allActions().map((a) => a.id);
  const colon = pattern.indexOf(':');
  if (colon < 0) return [];
  const service = pattern.slice(0, colon);
  const name = pattern.slice(colon + 1);
  const services = /[*?]/.test(service) ? catalog.services().filter((s) => wildcardRegExp(service, true).test(s)) : [service];
  if (!/[*?]/.test(name) && services.length === 1) {
    const exact = catalog.action(pattern);
    return exact ? [exact.id] : [];
  }
  const re = wildcardRegExp(name, true);
  return services.flatMap((s) =>
    catalog
      .actionsForService(s)
      .filter((a) => re.test(a.name))
      .map((a) => a.id),
  );
}

/** The concrete actions a statement's Action or NotAction covers (ignoring resources). */
export function statementActionSet(catalog: IamCatalog, statement: Statement): Set<ActionId> {
  if (statement.NotAction !== undefined) {
    const excluded = new Set(asList(statement.NotAction).flatMap((p) => expandActionPattern(catalog, p)));
    return new Set(
      catalog
        .allActions()
        .map((a) => a.id)
        .filter((id) => !excluded.has(id)),
    );
  }
  return new Set(asList(statement.Action).flatMap((p) => expandActionPattern(catalog, p)));
}

/** True when a Deny applies to every resource with no condition: it removes the action outright. */
export function isBlanketDeny(statement: Statement): boolean {
  return statement.Effect === 'Deny' && statement.Condition === undefined && statement.NotResource === undefined && asList(statement.Resource).includes('*');
}

function allowedBy(catalog: IamCatalog, statements: readonly Statement[]): Set<ActionId> {
  let allowed: Set<ActionId> | undefined;
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    // statementActionSet returns a fresh set: the first one is taken as is (a `*` grant: ~22,000 actions).
    const actions = statementActionSet(catalog, s);
    if (allowed === undefined) allowed = actions;
    else for (const a of actions) allowed.add(a);
  }
  allowed ??= new Set<ActionId>();
  for (const s of statements) if (isBlanketDeny(s)) for (const a of statementActionSet(catalog, s)) allowed.delete(a);
  return allowed;
}

/**
 * The concrete actions the role can perform on at least some resource under some condition.
 * Conditional or resource-scoped Denies do not remove an action here; the evaluator handles them.
 */
export function grantedActions(catalog: IamCatalog, grant: RoleGrant): Set<ActionId> {
  const identity = allowedBy(
    catalog,
    grant.policies.flatMap((p) => p.document.Statement),
  );
  if (grant.boundary === undefined) return identity;
  const bounded = allowedBy(catalog, grant.boundary.document.Statement);
  return new Set([...identity].filter((a) => bounded.has(a)));
}

/**
 * The fail-safe for what the mapping does not know. A call whose (eventSource, eventName) has no
 * mapping row, or whose resource the mapper could only write as a pattern the current grant does
 * not cover whole, succeeded: some permission of today's grant authorized it. Instead of letting
 * that permission vanish from the proposal, every granted permission that could have authorized
 * the call is kept, scoped as tightly as what is known:
 * - unmapped call: the granted actions of the call's IAM service, or only the catalogue action of
 *   the same name (case-insensitive) when one is granted; on the ARNs the records name when they
 *   cover every resource type of the action and today's grant allows them, else as granted today;
 * - unresolved resource: the mapped action on today's granted resources that may overlap the
 *   mapper's pattern.
 * Each kept permission carries its reason, the calls and the event count. Pure.
 */
import type { IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList } from '../iam/expand.js';
import { hasWildcard, patternsIntersect } from '../iam/wildcard-patterns.js';
import { compileArnFormat } from '../mapping/arn-format.js';
import type { ActionId, KeptPermission, KeptReason, PolicyDocument, RoleUsage, UnmappedCall, UnmappedKeep } from '../model.js';

export const KEPT_UNMAPPED: KeptReason = 'kept: unmapped call';
export const KEPT_UNRESOLVED: KeptReason = 'kept: unresolved resource';
export type { KeptPermission, KeptReason, UnmappedKeep };

export interface FailSafe {
  kept: KeptPermission[];
  unmapped: UnmappedKeep[];
}

interface Grant {
  identity: readonly PolicyDocument[];
  boundary: PolicyDocument | undefined;
}

function allowedToday(grant: Grant, action: ActionId, resource: string): boolean {
  return (
    evaluate(
      grant.identity,
      { action, resource },
      {
        boundary: grant.boundary,
        allowConditions: 'assume-met',
        denyConditions: 'assume-unmet',
      },
    ).decision === 'allowed'
  );
}

/**
 * Whether some Allow of today's identity policies grants `action` on a resource the pattern may
 * name (a NotResource Allow counts: it may). Conditions and Denies are not weighed: the call
 * succeeded, so whatever authorized it is among these.
 */
export function grantOverlaps(identity: readonly PolicyDocument[], action: ActionId, pattern: string | undefined): boolean {
  return identity.some((d) =>
    d.Statement.some(
      (s) =>
        s.Effect === 'Allow' &&
        statementCoversAction(s, action) &&
        (s.NotResource !== undefined || pattern === undefined || asList(s.Resource).some((r) => patternsIntersect(r, pattern))),
    ),
  );
}

function resourceFormats(catalog: IamCatalog, action: ActionId): RegExp[][] | undefined {
  const entry = catalog.action(action);
  if (entry === undefined || entry.resourceTypes.length === 0) return undefined;
  const formats: RegExp[][] = [];
  for (const type of entry.resourceTypes) {
    const format = catalog.resourceType(entry.service, type.name);
    if (format === undefined) return undefined;
    formats.push([compileArnFormat(format.arn).regex]);
  }
  return formats;
}

/**
 * The ARNs the records name that scope `action` safely: every resource type of the action is
 * matched by at least one named ARN (otherwise the request may also have touched a resource we do
 * not know), and today's grant allows each ARN kept. Empty when that does not hold.
 */
function namedScope(catalog: IamCatalog, grant: Grant, action: ActionId, named: readonly string[]): string[] {
  if (named.length === 0) return [];
  const formats = resourceFormats(catalog, action);
  if (formats === undefined) return [];
  const matching = named.filter((arn) => !hasWildcard(arn) && formats.some((f) => f.some((re) => re.test(arn))));
  if (!formats.every((f) => matching.some((arn) => f.some((re) => re.test(arn))))) return [];
  const allowed = matching.filter((arn) => allowedToday(grant, action, arn));
  return allowed.length === matching.length ? [...new Set(allowed)].sort(compareText) : [];
}

function keepForUnmapped(
  catalog: IamCatalog,
  grant: Grant,
  granted: readonly ActionId[],
  call: UnmappedCall,
): {
  keep: UnmappedKeep;
  kept: KeptPermission[];
} {
  const name = `${call.eventSource} ${call.eventName}`;
  const events = call.count - call.denied;
  const service = call.service.toLowerCase();
  const ofService = granted.filter((a) => a.slice(0, a.indexOf(':')).toLowerCase() === service);
  const sameName = catalog.action(`${service}:${call.eventName}`);
  const match = sameName !== undefined && ofService.includes(sameName.id) ? 'action' : ofService.length > 0 ? 'service' : 'none';
  const actions = match === 'action' && sameName !== undefined ? [sameName.id] : ofService;
  const kept = actions.map((action): KeptPermission => {
    const named = namedScope(catalog, grant, action, call.resources);
    return {
      action,
      reason: KEPT_UNMAPPED,
      calls: [name],
      events,
      ...(named.length > 0 ? { scope: 'named', resources: named } : { scope: 'granted', resources: [] }),
    };
  });
  return { keep: { call: name, service, events, actions: [...actions].sort(compareText), match }, kept };
}

/** Merges entries for the same action and reason (several calls keeping one action). */
function merge(entries: readonly KeptPermission[]): KeptPermission[] {
  const byKey = new Map<string, KeptPermission>();
  for (const e of entries) {
    const key = `${e.reason}\u0000${e.action}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, { ...e, calls: [...e.calls], resources: [...e.resources] });
      continue;
    }
    seen.calls = [...new Set([...seen.calls, ...e.calls])].sort(compareText);
    seen.events += e.events;
    if (seen.scope === 'granted' && seen.resources.length === 0) continue;
    if (e.scope === 'granted' && e.resources.length === 0) {
      // One call needs the whole grant: the widest scope wins.
      seen.scope = 'granted';
      seen.resources = [];
    } else if (seen.scope === e.scope) seen.resources = [...new Set([...seen.resources, ...e.resources])].sort(compareText);
    else {
      seen.scope = 'granted';
      seen.resources = [];
    }
  }
  return [...byKey.values()].sort((a, b) => compareText(a.reason, b.reason) || compareText(a.action, b.action));
}

/**
 * The fail-safe keeps for one role: authorized unmapped calls, and used permissions whose resource
 * is a pattern today's grant does not allow whole but may overlap. `granted` is the role's granted
 * concrete actions.
 */
export function failSafeKeeps(input: {
  catalog: IamCatalog;
  identity: readonly PolicyDocument[];
  boundary: PolicyDocument | undefined;
  granted: readonly ActionId[];
  usage: RoleUsage;
}): FailSafe {
  const { catalog, usage } = input;
  const grant: Grant = { identity: input.identity, boundary: input.boundary };
  const kept: KeptPermission[] = [];
  const unmapped: UnmappedKeep[] = [];
  for (const call of usage.unmapped) {
    if (call.count - call.denied <= 0) continue;
    const result = keepForUnmapped(catalog, grant, input.granted, call);
    unmapped.push(result.keep);
    kept.push(...result.kept);
  }
  for (const permission of usage.used) {
    const action = catalog.action(permission.action)?.id ?? permission.action;
    for (const u of unresolvedOf(catalog, usage, permission.action, permission.resources, permission.unresolved, permission.count)) {
      if (allowedToday(grant, action, u.resource) || !grantOverlaps(grant.identity, action, u.resource)) continue;
      kept.push({ action, reason: KEPT_UNRESOLVED, calls: u.calls, events: u.count, scope: 'granted', resources: [u.resource] });
    }
  }
  return { kept: merge(kept), unmapped: unmapped.sort((a, b) => compareText(a.call, b.call)) };
}

/**
 * The unresolved resources of one used permission: the mapper's patterns (recorded by the reducer)
 * and a bare `*` for an action that has resource types (the catalogue had no format to build from),
 * attributed to the calls that named it.
 */
function unresolvedOf(
  catalog: IamCatalog,
  usage: RoleUsage,
  action: ActionId,
  resources: readonly string[],
  recorded: readonly { resource: string; calls: string[]; count: number }[] | undefined,
  count: number,
): { resource: string; calls: string[]; count: number }[] {
  const out = [...(recorded ?? [])];
  if (resources.includes('*') && (catalog.action(action)?.resourceTypes.length ?? 0) > 0) {
    const calls = usage.calls.filter((c) => c.actions.includes(action) && c.resources.includes('*')).map((c) => `${c.eventSource} ${c.eventName}`);
    out.push({ resource: '*', calls: [...new Set(calls)].sort(compareText), count });
  }
  return out;
}

/** Whether `resource` of a used `action` is unresolved and kept through the fail-safe. */
export function isKeptUnresolved(kept: readonly KeptPermission[], action: ActionId, resource: string): boolean {
  return kept.some((k) => k.reason === KEPT_UNRESOLVED && k.action === action && k.resources.includes(resource));
}

/**
 * Granted versus used: every granted concrete action gets a verdict (used, unused, unobservable);
 * denied attempts and calls the current identity policies do not explain are listed apart.
 */
import type { IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList, grantedActions } from '../iam/expand.js';
import { patternCovers } from '../iam/wildcard-patterns.js';
import type { ActionId, Evidence, ObservabilityBasis, PolicyDocument, RoleGrant, RoleUsage, Statement, UnobservablePermission } from '../model.js';
import { failSafeKeeps, grantOverlaps, type KeptPermission, type UnmappedKeep } from './fail-safe.js';
import { observabilityBasis, observedEverywhere, seenDataResources, unobservedParts, type ObservabilityContext } from './observability.js';
import type { TrailSelection } from './trail-selectors.js';
import { lastAccessedKeeps, type LastAccessedKeep, type LastAccessedReport } from '../iam/last-accessed.js';

export interface PermissionDiff {
  /** Concrete actions granted (sorted). */
  granted: string[];
  /** Distinct services among granted. */
  services: number;
  /** Granted and observed authorized on at least one resource the current policies allow. */
  used: string[];
  /** Granted, observable, not used. */
  unused: string[];
  unobservable: UnobservablePermission[];
  deniedAttempts: { action: string; count: number; lastSeen: string }[];
  /** Observed but not granted by the current identity policies (resource policy, changed policy, boundary): never proposed. */
  usedNotGranted: string[];
  /**
   * Permissions kept through the fail-safe (`diff/fail-safe.ts`): granted today and possibly needed
   * by an unmapped call or an unresolved resource. An action kept for an unmapped call is neither
   * `unused` nor `unobservable`; one kept for an unresolved resource is `used`.
   */
  kept: KeptPermission[];
  /**
   * Granted, not seen in the window, but attempted within `--last-accessed-days` by IAM's own
   * last-accessed data (`iam/last-accessed.ts`): kept as granted today with the date.
   */
  recentlyAccessed: LastAccessedKeep[];
  /** Per authorized unmapped call, what was kept for it. */
  unmappedKeeps: UnmappedKeep[];
  /**
   * Used actions also granted on resources the logs cannot show (data events selected, or seen,
   * for some of the granted resources only): kept on those resources as granted today.
   */
  unobservableParts: UnobservablePermission[];
  /** Whether unobservability came from the trail's event selectors or was inferred from the logs. */
  observability: ObservabilityBasis;
}

export interface DiffInput {
  catalog: IamCatalog;
  grant: RoleGrant;
  usage: RoleUsage;
  evidence: Evidence;
  /** IAM last-accessed evidence for this role, read within `days` of the report date. */
  lastAccessed?: { report: LastAccessedReport; days: number };
  /** The trail's event selectors (`--trail-config`, `--trail`); without them, inferred per resource from the logs. */
  trailSelection?: TrailSelection;
}

/** The resource patterns today's Allow statements grant `action` on (a NotResource statement: `*`). */
function grantedPatterns(statements: readonly Statement[], action: ActionId): string[] {
  const patterns = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow' || !statementCoversAction(s, action)) continue;
    if (s.NotResource !== undefined) patterns.add('*');
    else for (const r of asList(s.Resource)) patterns.add(r);
  }
  return [...patterns].sort(compareText);
}

export function diffPermissions(input: DiffInput): PermissionDiff {
  const { catalog, grant, usage, evidence } = input;
  const granted = [...grantedActions(catalog, grant)].sort(compareText);
  const grantedSet = new Set(granted);
  const identity = grant.policies.map((p) => p.document);
  const boundary = grant.boundary?.document;

  const used = new Set<ActionId>();
  const usedNotGranted = new Set<ActionId>();
  for (const permission of usage.used) {
    const action = catalog.action(permission.action)?.id ?? permission.action;
    const folded = new Set(permission.folded ?? []);
    // A folded S3 prefix the grant covers only in part is still usage of the part it covers
    // (the calls succeeded there): never read as unused.
    // An unresolved pattern (the event did not name the resource) that today's grant may overlap
    // is usage of that grant: the fail-safe keeps it.
    const unresolved = new Set((permission.unresolved ?? []).map((u) => u.resource));
    if (permission.resources.includes('*') && (catalog.action(action)?.resourceTypes.length ?? 0) > 0) unresolved.add('*');
    const allowedSomewhere = permission.resources.some(
      (resource) =>
        isObservedCallAllowed(identity, boundary, action, resource) ||
        (folded.has(resource) && grantedPartsOf(identity, boundary, action, resource).length > 0) ||
        (unresolved.has(resource) && grantOverlaps(identity, action, resource)),
    );
    if (grantedSet.has(action) && allowedSomewhere) used.add(action);
    else usedNotGranted.add(action);
  }
  // An action allowed on one resource and not on another is used; the resource gap is reported by the proposal.
  for (const action of used) usedNotGranted.delete(action);

  const failSafe = failSafeKeeps({ catalog, identity, boundary, granted, usage });
  const keptForUnmapped = new Set(failSafe.kept.map((k) => k.action));
  const denied = new Set(usage.denied.map((d) => catalog.action(d.action)?.id ?? d.action));
  // Calls that failed without proving authorization (throttling, authentication, validation):
  // the role makes them, so the permission is kept as granted, never read as unused or as used.
  const failed = new Map((usage.failed ?? []).map((f) => [catalog.action(f.action)?.id ?? f.action, f]));
  const unused: string[] = [];
  const unobservable: UnobservablePermission[] = [];
  const lastAccessed = input.lastAccessed;
  const recentlyAccessed =
    lastAccessed === undefined
      ? []
      : lastAccessedKeeps(
          lastAccessed.report,
          granted.filter((a) => !used.has(a) && !keptForUnmapped.has(a)),
          lastAccessed.days,
        );
  const recent = new Set(recentlyAccessed.map((k) => k.action));
  const statements = identity.flatMap((d) => d.Statement);
  const observability: ObservabilityContext = {
    catalog,
    evidence,
    ...(input.trailSelection !== undefined ? { selection: input.trailSelection } : {}),
    seen: seenDataResources(
      catalog,
      usage.used.map((u) => ({ action: catalog.action(u.action)?.id ?? u.action, resources: u.resources })),
    ),
  };
  const unobservableParts: UnobservablePermission[] = [];
  for (const action of used) {
    const parts = unobservedParts(action, grantedPatterns(statements, action), observability);
    if (parts?.resources !== undefined) unobservableParts.push({ action, reason: parts.reason, resources: parts.resources });
  }
  for (const action of granted) {
    if (used.has(action) || keptForUnmapped.has(action) || recent.has(action)) continue;
    const failure = denied.has(action) ? undefined : failed.get(action);
    if (failure !== undefined) {
      unobservable.push({
        action,
        reason: `only failed calls seen (${failure.errorCodes.join(', ')} x${failure.count}): whether it is allowed is unknown, so it is kept`,
      });
      continue;
    }
    const parts =
      denied.has(action) || observedEverywhere(action, observability) ? undefined : unobservedParts(action, grantedPatterns(statements, action), observability);
    if (parts === undefined) unused.push(action);
    else unobservable.push({ action, reason: parts.reason, ...(parts.resources !== undefined ? { resources: parts.resources } : {}) });
  }
  return {
    granted,
    services: new Set(granted.map((a) => a.slice(0, a.indexOf(':')))).size,
    used: [...used].sort(compareText),
    unused,
    unobservable,
    deniedAttempts: usage.denied
      .map((d) => ({ action: catalog.action(d.action)?.id ?? d.action, count: d.count, lastSeen: d.lastSeen }))
      .sort((a, b) => compareText(a.action, b.action)),
    usedNotGranted: [...usedNotGranted].sort(compareText),
    kept: failSafe.kept,
    recentlyAccessed,
    unmappedKeeps: failSafe.unmapped,
    unobservableParts: unobservableParts.sort((a, b) => compareText(a.action, b.action)),
    observability: observabilityBasis(input.trailSelection, grant.arn),
  };
}

/**
 * Whether the current identity policies (with the boundary) explain a successful call: the call
 * succeeded, so a conditional Allow's conditions held and a conditional Deny's did not.
 */
export function isObservedCallAllowed(identity: readonly PolicyDocument[], boundary: PolicyDocument | undefined, action: ActionId, resource: string): boolean {
  return evaluate(identity, { action, resource }, { boundary, allowConditions: 'assume-met', denyConditions: 'assume-unmet' }).decision === 'allowed';
}

/**
 * The parts of `pattern` (a folded S3 prefix the current policies do not allow whole) that they do
 * allow: the resource patterns of today's Allow statements for `action` that lie inside `pattern`
 * and are allowed (boundary and Denies counted). Proposing these instead of `pattern` keeps what
 * the role could do there and never widens past today's grant. Sorted; empty when none.
 */
export function grantedPartsOf(identity: readonly PolicyDocument[], boundary: PolicyDocument | undefined, action: ActionId, pattern: string): string[] {
  const parts = new Set<string>();
  for (const document of identity) {
    for (const s of document.Statement) {
      if (s.Effect !== 'Allow' || s.NotResource !== undefined || !statementCoversAction(s, action)) continue;
      for (const r of asList(s.Resource)) {
        if (r === pattern || r.includes('${') || !patternCovers(pattern, r)) continue;
        if (isObservedCallAllowed(identity, boundary, action, r)) parts.add(r);
      }
    }
  }
  return [...parts].sort(compareText);
}

/** Unobservable permissions grouped by reason, for compact display (a `*` grant has many). */
export function groupUnobservable(diff: PermissionDiff): { reason: string; actions: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const u of diff.unobservable) groups.set(u.reason, [...(groups.get(u.reason) ?? []), u.action]);
  return [...groups].map(([reason, actions]) => ({ reason, actions })).sort((a, b) => compareText(a.reason, b.reason));
}

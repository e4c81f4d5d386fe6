/**
 * Synthesis of the minimized identity policy: resource-level statements for the used permissions
 * (conditions of the granting statements carried over), unobservable permissions kept as granted
 * today unless dropped, existing Denies kept unless they provably deny nothing proposed, then
 * size limits, canonical form and the self-check. A failed self-check is a bug: InternalError.
 */
import { InternalError } from '../errors.js';
import type { IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { canonicalConditionKey, evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList } from '../iam/expand.js';
import type { PermissionDiff } from '../diff/diff-permissions.js';
import { grantedPartsOf, isObservedCallAllowed } from '../diff/diff-permissions.js';
import type { ActionId, ConditionBlock, Diagnostic, PolicyDocument, ProposalScope, ProposalVerification, RoleGrant, RoleUsage, Statement } from '../model.js';
import { isKeptUnresolved } from '../diff/fail-safe.js';
import { canonicalPolicy, canonicalStatement, policySize } from './canonical.js';
import { fitToLimits } from './fit-limits.js';
import { generaliseResources, serviceScopePattern, withoutCovered } from './generalise.js';
import { selfCheck, type ObservedCall } from './self-check.js';
import { asGrantedToday, grantsToday, namedStatements, statement } from './granted-today.js';
import { afterScope, concreteActions, describeBeforeResources, failSafeSummary, notGrantedDiagnostic, sortDiagnostics } from './proposal-summary.js';

export { canonicalPolicy, policySize } from './canonical.js';

export interface ProposalOptions {
  resources: 'exact' | 'generalize' | 'service';
  dropUnobservable: boolean;
  policyType: 'managed' | 'inline';
  /** Distinct resources per action before generalisation starts (default 10). */
  maxResourcesPerStatement?: number;
}

export interface Proposal {
  policies: PolicyDocument[];
  verification: ProposalVerification;
  scope: ProposalScope;
  diagnostics: Diagnostic[];
}

export interface ProposalInput {
  catalog: IamCatalog;
  grant: RoleGrant;
  usage: RoleUsage;
  diff: PermissionDiff;
  options: ProposalOptions;
}

export const DEFAULT_MAX_RESOURCES_PER_STATEMENT = 10;

interface Grouped {
  condition: ConditionBlock | undefined;
  /** action -> resources */
  resources: Map<ActionId, Set<string>>;
}

export function proposePolicy(input: ProposalInput): Proposal {
  const { catalog, grant, usage, diff, options } = input;
  const identity = grant.policies.map((p) => p.document);
  const boundary = grant.boundary?.document;
  const identityStatements = identity.flatMap((d) => d.Statement);
  const diagnostics: Diagnostic[] = [];
  const usedSet = new Set(diff.used);

  // 1. Used (action, resource) pairs, grouped by the condition of the statements that granted them.
  const groups = new Map<string, Grouped>();
  const observed: ObservedCall[] = [];
  for (const permission of usage.used) {
    const action = catalog.action(permission.action)?.id ?? permission.action;
    if (!usedSet.has(action)) continue;
    const folded = new Set(permission.folded ?? []);
    const targets = new Set<string>();
    for (const resource of [...new Set(permission.resources)].sort(compareText)) {
      if (isObservedCallAllowed(identity, boundary, action, resource)) {
        targets.add(resource);
        continue;
      }
      // The event did not name the resource and today's grant does not cover the pattern whole:
      // the fail-safe keeps the grant that may overlap it (step 3b).
      if (isKeptUnresolved(diff.kept, action, resource)) continue;
      // A folded S3 prefix (many keys under it) granted only in part today: propose the granted
      // parts inside it, never the whole prefix (that would allow keys the grant does not).
      const parts = folded.has(resource) ? grantedPartsOf(identity, boundary, action, resource) : [];
      if (parts.length > 0) {
        for (const part of parts) targets.add(part);
        diagnostics.push({
          code: 'folded-resource-narrowed',
          severity: 'warning',
          subject: action,
          message: `${action} on ${resource} (folded S3 keys) is granted today only on ${parts.join(', ')}; only that is proposed`,
        });
        continue;
      }
      diagnostics.push({
        code: 'resource-not-granted',
        severity: 'warning',
        subject: action,
        message: `${action} on ${resource} succeeded but no current identity policy allows it (resource policy?); not proposed`,
      });
    }
    for (const resource of [...targets].sort(compareText)) {
      observed.push({ action, resource });
      const granting = evaluate(identity, { action, resource }, { allowConditions: 'assume-met', denyConditions: 'assume-unmet' })
        .matched.filter((m) => m.effect === 'Allow')
        .map((m) => identity[m.policy]?.Statement[m.statement])
        .filter((s): s is Statement => s !== undefined);
      const unconditional = granting.some((s) => canonicalConditionKey(s.Condition) === '');
      const conditions = unconditional ? [undefined] : granting.map((s) => s.Condition);
      for (const condition of conditions) {
        const key = canonicalConditionKey(condition);
        const group = groups.get(key) ?? { condition, resources: new Map<ActionId, Set<string>>() };
        group.resources.set(action, (group.resources.get(action) ?? new Set<string>()).add(resource));
        groups.set(key, group);
      }
    }
  }

  // 2. Resource scoping per action within each condition group.
  const allowStatements: Statement[] = [];
  const limit = options.maxResourcesPerStatement ?? DEFAULT_MAX_RESOURCES_PER_STATEMENT;
  for (const group of [...groups.values()].sort((a, b) => compareText(canonicalConditionKey(a.condition), canonicalConditionKey(b.condition)))) {
    for (const [action, resourceSet] of [...group.resources].sort(([a], [b]) => compareText(a, b))) {
      const allowed = (pattern: string): boolean => grantsToday(identity, boundary, action, pattern, group.condition);
      const resources = scopeResources(catalog, action, [...resourceSet], options, limit, allowed, diagnostics);
      allowStatements.push(statement(action, resources, group.condition));
    }
  }

  // 3. Unobservable permissions: kept as granted today (same statements' resources and conditions).
  const denied = new Set(diff.deniedAttempts.map((d) => d.action));
  const keptUnobservable = options.dropUnobservable ? [] : diff.unobservable.filter((u) => !denied.has(u.action));
  for (const { action, resources } of keptUnobservable) allowStatements.push(...asGrantedToday(identityStatements, action, resources));
  // Used actions granted also on resources the logs cannot show: kept there as granted today.
  const keptParts = options.dropUnobservable ? [] : diff.unobservableParts.filter((u) => !denied.has(u.action));
  for (const { action, resources } of keptParts) allowStatements.push(...asGrantedToday(identityStatements, action, resources));

  // 3a. Attempted within --last-accessed-days per IAM's last-accessed data: kept as granted today
  // (never dropped by --drop-unobservable: this is evidence of use, not the lack of it).
  for (const { action } of diff.recentlyAccessed) allowStatements.push(...asGrantedToday(identityStatements, action, undefined));
  if (diff.recentlyAccessed.length > 0)
    diagnostics.push({
      code: 'last-accessed-kept',
      severity: 'info',
      count: diff.recentlyAccessed.length,
      message: `${diff.recentlyAccessed.length} permission(s) not seen in the window are kept because IAM's last-accessed data shows them attempted (IAM counts denied attempts too)`,
    });

  // 3b. The fail-safe: permissions that may have authorized an unmapped call or an unresolved resource.
  const kept: ObservedCall[] = [];
  for (const k of diff.kept) {
    const statements =
      k.scope === 'named' ? namedStatements(identity, k) : asGrantedToday(identityStatements, k.action, k.resources.length > 0 ? k.resources : undefined);
    allowStatements.push(...statements);
    for (const s of statements) for (const resource of asList(s.Resource)) if (!resource.includes('${')) kept.push({ action: k.action, resource });
  }
  if (diff.unobservable.length > 0)
    diagnostics.push({
      code: options.dropUnobservable ? 'unobservable-dropped' : 'unobservable-kept',
      severity: 'info',
      count: options.dropUnobservable ? diff.unobservable.length : keptUnobservable.length,
      message: options.dropUnobservable
        ? `${diff.unobservable.length} permission(s) the logs cannot show as used were dropped (--drop-unobservable)`
        : `${keptUnobservable.length} permission(s) the logs cannot show as used are kept as granted today`,
    });

  // 4. Existing Denies, unless they share no action with what is proposed.
  const proposedActions = concreteActions(catalog, allowStatements);
  const denyStatements: Statement[] = [];
  for (const s of identityStatements) {
    if (s.Effect !== 'Deny') continue;
    if ([...proposedActions].some((a) => statementCoversAction(s, a))) denyStatements.push(canonicalStatement(s));
    else
      diagnostics.push({
        code: 'deny-dropped',
        severity: 'info',
        subject: s.Sid ?? JSON.stringify(s.Action ?? s.NotAction),
        message: 'a Deny statement was dropped: it covers no action of the proposal',
      });
  }

  for (const action of diff.usedNotGranted) diagnostics.push(notGrantedDiagnostic(grant, action));

  // 5. Size limits (merge, split, then wildcards) and canonical form.
  const fit = fitToLimits({
    catalog,
    statements: [...denyStatements, ...allowStatements],
    policyType: options.policyType,
    grantsActionAs: (action, s) =>
      !denied.has(action) &&
      s.NotResource === undefined &&
      asList(s.Resource).length > 0 &&
      asList(s.Resource).every((r) => grantsToday(identity, undefined, action, r, s.Condition)),
  });
  diagnostics.push(...fit.diagnostics);
  const policies = fit.policies.map(canonicalPolicy);

  // 6. Self-check before anything leaves this function.
  const check = selfCheck({ catalog, current: identity, boundary, proposal: policies, observed, kept });
  if (check.failures.length > 0)
    throw new InternalError(`self-check of the proposed policy for ${grant.arn} failed; no policy is emitted:\n  ${check.failures.slice(0, 20).join('\n  ')}`);

  return {
    policies,
    verification: {
      observedCalls: check.observedCalls,
      allowed: check.allowed,
      newlyAllowed: check.newlyAllowed,
      failSafe: failSafeSummary(usage, diff.kept),
    },
    scope: {
      before: { actions: diff.granted.length, resources: describeBeforeResources(identityStatements) },
      after: afterScope(catalog, policies),
    },
    diagnostics: sortDiagnostics(diagnostics),
  };
}

function scopeResources(
  catalog: IamCatalog,
  action: ActionId,
  observed: string[],
  options: ProposalOptions,
  limit: number,
  allowed: (pattern: string) => boolean,
  diagnostics: Diagnostic[],
): string[] {
  const hasResourceTypes = (catalog.action(action)?.resourceTypes.length ?? 0) > 0;
  if (!hasResourceTypes && allowed('*')) return ['*'];
  // Observed patterns may cover each other (S3 keys folded to different depths per call family).
  if (options.resources === 'exact') return withoutCovered(observed);
  let start = withoutCovered(observed);
  if (options.resources === 'service') {
    start = withoutCovered(
      start.map((r) => {
        const pattern = serviceScopePattern(r);
        return pattern !== undefined && allowed(pattern) ? pattern : r;
      }),
    );
  }
  const result = generaliseResources(start, limit, allowed);
  for (const { pattern, replaced } of result.introduced)
    diagnostics.push({
      code: 'resource-generalised',
      severity: 'info',
      subject: action,
      count: replaced.length,
      message: `${action}: ${replaced.length} resources generalised to ${pattern}`,
    });
  if (result.resources.length > limit)
    diagnostics.push({
      code: 'resources-kept-exact',
      severity: 'info',
      subject: action,
      count: result.resources.length,
      message: `${action}: ${result.resources.length} resources kept exact; no generalisation within today's grant${
        result.rejected.length > 0 ? ` (refused: ${result.rejected.join(', ')})` : ''
      }`,
    });
  return result.resources;
}

/** Size of every proposed policy, for reports. */
export function proposalSizes(proposal: Proposal): number[] {
  return proposal.policies.map(policySize);
}

/**
 * What a proposal reports besides its policies: how much it narrows the grant (`ProposalScope`),
 * what the fail-safe kept (`ProposalVerification.failSafe`), why an observed action is not
 * proposed, and the diagnostics in their one order.
 */
import { compareText } from '../util/compare-text.js';
import type { IamCatalog } from '../iam/catalog.js';
import { statementCoversAction } from '../iam/evaluate.js';
import { asList, expandActionPattern } from '../iam/expand.js';
import { KEPT_UNMAPPED, KEPT_UNRESOLVED, type KeptPermission } from '../diff/fail-safe.js';
import type { ActionId, Diagnostic, PolicyDocument, ProposalScope, ProposalVerification, RoleGrant, RoleUsage, Statement } from '../model.js';

export function failSafeSummary(usage: RoleUsage, kept: readonly KeptPermission[]): ProposalVerification['failSafe'] {
  const callsOf = (reason: string): Set<string> => new Set(kept.filter((k) => k.reason === reason).flatMap((k) => k.calls));
  const unmapped = callsOf(KEPT_UNMAPPED);
  const unresolved = callsOf(KEPT_UNRESOLVED);
  const eventsOf = (calls: Set<string>, mapped: boolean): number =>
    mapped
      ? usage.calls.filter((c) => calls.has(`${c.eventSource} ${c.eventName}`)).reduce((sum, c) => sum + c.count, 0)
      : usage.unmapped.filter((u) => calls.has(`${u.eventSource} ${u.eventName}`)).reduce((sum, u) => sum + u.count - u.denied, 0);
  return {
    unmappedCalls: unmapped.size,
    unmappedEvents: eventsOf(unmapped, false),
    unresolvedCalls: unresolved.size,
    unresolvedEvents: eventsOf(unresolved, true),
    actions: new Set(kept.map((k) => k.action)).size,
  };
}

export function concreteActions(catalog: IamCatalog, statements: readonly Statement[]): Set<ActionId> {
  return new Set(
    statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asList(s.Action))
      .flatMap((p) => {
        const expanded = expandActionPattern(catalog, p);
        return expanded.length > 0 ? expanded : [p];
      }),
  );
}

export function notGrantedDiagnostic(grant: RoleGrant, action: ActionId): Diagnostic {
  const identityOnly = grant.policies.some((p) => p.document.Statement.some((s) => s.Effect === 'Allow' && statementCoversAction(s, action)));
  const blockedByBoundary =
    grant.boundary !== undefined && identityOnly && !grant.boundary.document.Statement.some((s) => s.Effect === 'Allow' && statementCoversAction(s, action));
  return blockedByBoundary
    ? {
        code: 'boundary-blocked',
        severity: 'warning',
        subject: action,
        message: `${action} was observed but the permissions boundary blocks it; not proposed`,
      }
    : {
        code: 'used-not-granted',
        severity: 'warning',
        subject: action,
        message: `${action} was observed but the current identity policies do not grant it (resource policy or changed policy?); not proposed`,
      };
}

export function describeBeforeResources(statements: readonly Statement[]): string {
  const allows = statements.filter((s) => s.Effect === 'Allow');
  if (allows.some((s) => s.NotResource !== undefined || asList(s.Resource).includes('*'))) return 'any resource';
  const patterns = new Set(allows.flatMap((s) => asList(s.Resource)));
  return `${patterns.size} resource pattern${patterns.size === 1 ? '' : 's'}`;
}

export function afterScope(catalog: IamCatalog, policies: readonly PolicyDocument[]): ProposalScope['after'] {
  const allows = policies.flatMap((d) => d.Statement).filter((s) => s.Effect === 'Allow');
  const anywhere = allows.filter((s) => s.NotResource !== undefined || asList(s.Resource).includes('*'));
  return {
    actions: concreteActions(catalog, allows).size,
    resources: new Set(allows.flatMap((s) => [...asList(s.Resource), ...asList(s.NotResource)]).filter((r) => r !== '*')).size,
    anyResource: concreteActions(catalog, anywhere).size,
  };
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const unique = new Map(diagnostics.map((d) => [JSON.stringify(d), d]));
  return [...unique].sort(([a, x], [b, y]) => compareText(x.code, y.code) || compareText(a, b)).map(([, d]) => d);
}

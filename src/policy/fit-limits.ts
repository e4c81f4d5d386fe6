/**
 * IAM size limits (characters without whitespace): a managed policy holds 6,144, a role's inline
 * policies 10,240 in total, a role at most 10 managed policies by default. A proposal that does
 * not fit is first merged (exact), then split across managed policies (exact), and only then
 * given action wildcards, those adding the fewest actions first, each addition reported.
 */
import type { IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { asList, expandActionPattern } from '../iam/expand.js';
import type { ActionId, Diagnostic, PolicyDocument, Statement } from '../model.js';
import { canonicalPolicy, canonicalStatement, policySize } from './canonical.js';

export const IAM_LIMITS = { managedPolicySize: 6144, inlinePolicySizeTotal: 10240, managedPoliciesPerRole: 10 } as const;

export interface FitInput {
  catalog: IamCatalog;
  statements: Statement[];
  policyType: 'managed' | 'inline';
  /** Whether the current policies grant `action` everywhere `statement` applies (same condition). */
  grantsActionAs: (action: ActionId, statement: Statement) => boolean;
}

export interface FitResult {
  policies: PolicyDocument[];
  diagnostics: Diagnostic[];
}

/** Merges statements with equal actions (or equal resources) and equal conditions; exact. */
export function mergeStatements(statements: readonly Statement[]): Statement[] {
  let current = statements.map(canonicalStatement);
  for (const field of ['Resource', 'Action', 'Resource'] as const) {
    const other = field === 'Resource' ? 'Action' : 'Resource';
    const groups = new Map<string, Statement[]>();
    for (const s of current) {
      const mergeable = s.NotAction === undefined && s.NotResource === undefined;
      const key = mergeable ? JSON.stringify([s.Effect, s[field], s.Condition ?? null]) : `unique:${JSON.stringify(s)}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    current = [...groups.values()].map((group) => {
      const first = group[0];
      if (first === undefined || group.length === 1) return first ?? { Effect: 'Allow' };
      return canonicalStatement({ ...first, [other]: group.flatMap((s) => asList(s[other])) });
    });
  }
  return current;
}

export function fitToLimits(input: FitInput): FitResult {
  const diagnostics: Diagnostic[] = [];
  let statements = mergeStatements(input.statements);
  const limit = input.policyType === 'managed' ? IAM_LIMITS.managedPolicySize : IAM_LIMITS.inlinePolicySizeTotal;
  const maxPolicies = input.policyType === 'managed' ? IAM_LIMITS.managedPoliciesPerRole : 1;
  let packed = packStatements(statements, limit, maxPolicies);
  const added: { pattern: string; actions: ActionId[] }[] = [];
  while (packed === undefined) {
    const widened = widenOnce(input, statements);
    if (widened === undefined) break;
    statements = mergeStatements(widened.statements);
    added.push({ pattern: widened.pattern, actions: widened.added });
    packed = packStatements(statements, limit, maxPolicies);
  }
  for (const a of added)
    diagnostics.push({
      code: 'action-wildcard',
      severity: a.actions.length > 0 ? 'warning' : 'info',
      subject: a.pattern,
      count: a.actions.length,
      message: `to fit IAM size limits, ${a.pattern} replaces listed actions and adds ${a.actions.length} unused action(s): ${a.actions.join(', ') || 'none'}`,
    });
  if (packed === undefined) {
    diagnostics.push({
      code: 'policy-too-large',
      severity: 'error',
      message: `the proposal does not fit ${maxPolicies} ${input.policyType} polic${maxPolicies === 1 ? 'y' : 'ies'} of ${limit} characters even with action wildcards`,
    });
    return { policies: [canonicalPolicy({ Statement: statements })], diagnostics };
  }
  if (packed.length > 1)
    diagnostics.push({
      code: 'policy-split',
      severity: 'info',
      count: packed.length,
      message: `the proposal is split into ${packed.length} managed policies of at most ${limit} characters each`,
    });
  return { policies: packed, diagnostics };
}

/** First-fit decreasing over canonical statements; oversized statements are cut by actions first. */
export function packStatements(statements: readonly Statement[], limit: number, maxPolicies: number): PolicyDocument[] | undefined {
  const whole = canonicalPolicy({ Statement: [...statements] });
  if (policySize(whole) <= limit) return [whole];
  if (maxPolicies === 1) return undefined;
  const pieces = statements.flatMap((s) => cutToSize(s, limit));
  if (pieces === undefined) return undefined;
  const sized = pieces
    .map((s) => ({ s, size: policySize(canonicalPolicy({ Statement: [s] })), key: JSON.stringify(s) }))
    .sort((a, b) => b.size - a.size || compareText(a.key, b.key));
  const bins: Statement[][] = [];
  for (const { s, size } of sized) {
    if (size > limit) return undefined;
    const bin = bins.find((b) => policySize(canonicalPolicy({ Statement: [...b, s] })) <= limit);
    if (bin !== undefined) bin.push(s);
    else bins.push([s]);
  }
  if (bins.length > maxPolicies) return undefined;
  return bins.map((b) => canonicalPolicy({ Statement: b })).sort((a, b) => compareText(JSON.stringify(a), JSON.stringify(b)));
}

function cutToSize(s: Statement, limit: number): Statement[] {
  const size = policySize(canonicalPolicy({ Statement: [s] }));
  if (size <= limit) return [s];
  const fields = (['Action', 'Resource'] as const)
    .map((field) => ({ field, values: asList(s[field]) }))
    .filter((f) => f.values.length >= 2)
    .sort((a, b) => JSON.stringify(b.values).length - JSON.stringify(a.values).length);
  const longest = fields[0];
  if (longest === undefined) return [s];
  // Cut the longer list into as many chunks as the size calls for, leaving room for the rest.
  const chunks = Math.min(longest.values.length, Math.ceil(size / (limit * 0.9)));
  const per = Math.ceil(longest.values.length / chunks);
  const out: Statement[] = [];
  for (let i = 0; i < longest.values.length; i += per)
    out.push(...cutToSize(canonicalStatement({ ...s, [longest.field]: longest.values.slice(i, i + per) }), limit));
  return out;
}

/** Name prefixes at CamelCase word boundaries: `GetObjectTagging` -> `Get`, `GetObject`. */
function namePrefixes(name: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < name.length; i += 1) {
    const c = name[i] ?? '';
    if (c >= 'A' && c <= 'Z') out.push(name.slice(0, i));
  }
  return out;
}

interface Widening {
  statements: Statement[];
  pattern: string;
  added: ActionId[];
}

/** The single action wildcard that saves characters while adding the fewest actions. */
function widenOnce(input: FitInput, statements: readonly Statement[]): Widening | undefined {
  let best: { index: number; pattern: string; added: ActionId[]; covered: string[]; saved: number } | undefined;
  statements.forEach((s, index) => {
    if (s.Effect !== 'Allow' || s.Action === undefined) return;
    const actions = asList(s.Action).filter((a) => !/[*?]/.test(a));
    const byService = new Map<string, string[]>();
    for (const a of actions) {
      const service = a.slice(0, a.indexOf(':'));
      byService.set(service, [...(byService.get(service) ?? []), a]);
    }
    for (const [service, serviceActions] of byService) {
      const names = serviceActions.map((a) => a.slice(a.indexOf(':') + 1));
      const prefixes = new Set(['', ...names.flatMap(namePrefixes)]);
      for (const prefix of prefixes) {
        const covered = serviceActions.filter((a) => a.slice(service.length + 1).startsWith(prefix));
        if (covered.length < 2) continue;
        const pattern = `${service}:${prefix}*`;
        const saved = covered.reduce((n, a) => n + a.length + 3, 0) - (pattern.length + 3);
        if (saved <= 0) continue;
        const have = new Set(actions.map((a) => a.toLowerCase()));
        const added = expandActionPattern(input.catalog, pattern).filter((a) => !have.has(a.toLowerCase()));
        if (best !== undefined && (added.length > best.added.length || (added.length === best.added.length && saved <= best.saved))) continue;
        if (!added.every((a) => input.grantsActionAs(a, s))) continue;
        best = { index, pattern, added, covered, saved };
      }
    }
  });
  if (best === undefined) return undefined;
  const chosen = best;
  const next = statements.map((s, i) =>
    i === chosen.index ? canonicalStatement({ ...s, Action: [...asList(s.Action).filter((a) => !chosen.covered.includes(a)), chosen.pattern] }) : s,
  );
  return { statements: next, pattern: chosen.pattern, added: chosen.added };
}

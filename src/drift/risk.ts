/**
 * Which grants are risky. The catalogue is data (`data/risk.json`, one row per risk with its
 * reason), never branches in code; this module only compiles its patterns against the action
 * catalogue once and matches a role's grant and diff against it.
 */
import { z } from 'zod';
import table from './data/risk.json' with { type: 'json' };
import { isObservedCallAllowed, type PermissionDiff } from '../diff/diff-permissions.js';
import { type IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { asList, expandActionPattern } from '../iam/expand.js';
import type { ActionId, RoleGrant } from '../model.js';

const categorySchema = z.enum(['privilege-escalation', 'data-exfiltration', 'resource-exposure', 'defense-evasion', 'broad-grant']);
const matchSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('actions'), actions: z.array(z.string()).min(1), resource: z.literal('*').optional() }),
  z.object({ kind: z.literal('combination'), groups: z.array(z.array(z.string()).min(1)).min(2) }),
  z.object({ kind: z.literal('policy-wildcard'), scope: z.enum(['all', 'service', 'not-action']) }),
]);
const rowSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  category: categorySchema,
  severity: z.enum(['high', 'medium']),
  match: matchSchema,
  reason: z.string().min(10),
});
const tableSchema = z.object({ version: z.string(), rows: z.array(rowSchema).min(1) });

export type RiskCategory = z.infer<typeof categorySchema>;
export type RiskRule = z.infer<typeof rowSchema>;

/** The risk catalogue as shipped, validated at load so a bad row fails every test at once. */
export const riskTable = tableSchema.parse(table);

/** Weight of one risky-unused finding in the ranking: one high risk outweighs three medium ones. */
export const SEVERITY_WEIGHT = { high: 10, medium: 3 } as const;

/** A risky grant of one role, and how much of it the role did not use. */
export interface RiskFinding {
  rule: string;
  category: RiskCategory;
  severity: RiskRule['severity'];
  reason: string;
  /** Granted actions that match the rule; for policy-wildcard rules, the wildcard patterns. */
  matched: string[];
  /** The unused part of `matched` (actions, or the patterns whose actions include unused ones). */
  unused: string[];
  /** Unused concrete actions behind `unused` (equals `unused.length` except for wildcard rules). */
  unusedCount: number;
}

interface CompiledRule {
  rule: RiskRule;
  /** Concrete actions per group (one group for `actions` rules, none for wildcard rules). */
  groups: Set<ActionId>[];
}

/** The risk table with its patterns expanded to concrete actions of this catalogue. */
export interface RiskMatcher {
  readonly version: string;
  assess(grant: RoleGrant, diff: PermissionDiff): RiskFinding[];
}

function expandAll(catalog: IamCatalog, patterns: readonly string[]): Set<ActionId> {
  return new Set(patterns.flatMap((p) => expandActionPattern(catalog, p)));
}

/** Allow statements' wildcard patterns of one scope, sorted. */
function wildcardPatterns(grant: RoleGrant, scope: 'all' | 'service' | 'not-action'): string[] {
  const found = new Set<string>();
  for (const statement of grant.policies.flatMap((p) => p.document.Statement)) {
    if (statement.Effect !== 'Allow') continue;
    if (scope === 'not-action') {
      if (statement.NotAction !== undefined) found.add(`NotAction ${asList(statement.NotAction).join(',')}`);
      continue;
    }
    for (const pattern of asList(statement.Action)) {
      const isAll = pattern === '*' || pattern === '*:*';
      if (scope === 'all' && isAll) found.add('*');
      if (scope === 'service' && !isAll && /^[a-z0-9-]+:\*$/i.test(pattern)) found.add(pattern.toLowerCase());
    }
  }
  return [...found].sort(compareText);
}

/** Compiles the shipped table (or a test's rows) against the catalogue. */
export function createRiskMatcher(catalog: IamCatalog, rules: readonly RiskRule[] = riskTable.rows): RiskMatcher {
  const compiled: CompiledRule[] = rules.map((rule) => ({
    rule,
    groups:
      rule.match.kind === 'actions'
        ? [expandAll(catalog, rule.match.actions)]
        : rule.match.kind === 'combination'
          ? rule.match.groups.map((g) => expandAll(catalog, g))
          : [],
  }));

  function assess(grant: RoleGrant, diff: PermissionDiff): RiskFinding[] {
    const granted = new Set(diff.granted);
    const unused = new Set(diff.unused);
    const used = new Set(diff.used);
    const identity = grant.policies.map((p) => p.document);
    const findings: RiskFinding[] = [];
    for (const { rule, groups } of compiled) {
      const base = { rule: rule.id, category: rule.category, severity: rule.severity, reason: rule.reason };
      const match = rule.match;
      if (match.kind === 'policy-wildcard') {
        const patterns = wildcardPatterns(grant, match.scope);
        if (patterns.length === 0) continue;
        const unusedPatterns: string[] = [];
        let unusedCount = 0;
        const behind =
          match.scope === 'service'
            ? patterns.map((p) => ({ p, actions: expandActionPattern(catalog, p) }))
            : patterns.map((p) => ({ p, actions: diff.granted }));
        const counted = new Set<string>();
        for (const { p, actions } of behind) {
          const unusedHere = actions.filter((a) => unused.has(a));
          if (unusedHere.length > 0) unusedPatterns.push(p);
          for (const a of unusedHere) counted.add(a);
        }
        unusedCount = counted.size;
        findings.push({ ...base, matched: patterns, unused: unusedPatterns, unusedCount });
        continue;
      }
      const perGroup = groups.map((g) => [...g].filter((a) => granted.has(a)));
      if (perGroup.some((g) => g.length === 0)) continue;
      let matched = [...new Set(perGroup.flat())];
      if (match.kind === 'actions' && match.resource === '*') {
        matched = matched.filter((a) => isObservedCallAllowed(identity, grant.boundary?.document, a, '*'));
        if (matched.length === 0) continue;
      }
      matched.sort(compareText);
      // A combination the role exercises in full is needed; only an incomplete one is excess.
      const exercised = match.kind === 'combination' && groups.every((g) => [...g].some((a) => used.has(a)));
      const unusedMatched = exercised ? [] : matched.filter((a) => unused.has(a));
      findings.push({ ...base, matched, unused: unusedMatched, unusedCount: unusedMatched.length });
    }
    return findings;
  }

  return { version: riskTable.version, assess };
}

/** The ranking weight of a role's risky-unused findings. */
export function riskScore(findings: readonly RiskFinding[]): number {
  return findings.reduce((sum, f) => sum + (f.unusedCount > 0 ? SEVERITY_WEIGHT[f.severity] : 0), 0);
}

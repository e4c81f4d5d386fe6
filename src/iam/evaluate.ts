/**
 * Our own IAM evaluator for identity policies and a permissions boundary (iam-simulate is AGPL and
 * serves only as a test oracle). Deny wins; Action/NotAction match case-insensitively,
 * Resource/NotResource case-sensitively with IAM wildcards.
 *
 * The request resource may itself be a pattern (an observed narrowest pattern or a generalised
 * ARN). Statements then match conservatively: an Allow applies only when it covers every resource
 * the pattern can name, a Deny applies as soon as it may hit one of them.
 *
 * Conditions are never evaluated against a request context; the caller says how conditional
 * statements count (see `ConditionTreatment`). Policy variables (`${aws:username}`) are substituted
 * from `options.variables`; an unresolved one makes an Allow entry match nothing and a Deny entry
 * match as if the variable were `*`.
 */
import type { ConditionBlock, PolicyDocument, Statement } from '../model.js';
import { actionMatches, asList } from './expand.js';
import { patternCovers, patternsIntersect } from './wildcard-patterns.js';

export type Decision = 'allowed' | 'denied' | 'implicit-deny';

/**
 * How a statement with a `Condition` counts:
 * - `assume-met`: it applies (a successful call proves an Allow's conditions held then);
 * - `assume-unmet`: it does not apply (a successful call proves a Deny's conditions did not hold);
 * - `{ sameAs }`: an Allow applies only when its condition is exactly `sameAs` (canonical
 *   comparison). Used to prove that a proposed conditional Allow is within a current one.
 */
export type ConditionTreatment = 'assume-met' | 'assume-unmet' | { sameAs: ConditionBlock | undefined };

export interface EvaluationOptions {
  /** Permissions boundary: the request must also be allowed here. Its conditional Allows count as met. */
  boundary?: PolicyDocument | undefined;
  /** Default `assume-met`. */
  allowConditions?: ConditionTreatment;
  /** Default `assume-met` (conservative: a Deny that may apply, applies). `sameAs` is not valid here. */
  denyConditions?: 'assume-met' | 'assume-unmet';
  /** Values for policy variables, e.g. `{ 'aws:username': 'alice' }`. */
  variables?: Readonly<Record<string, string>>;
}

export interface EvaluationRequest {
  action: string;
  /** A concrete ARN, a pattern, or `*`. */
  resource: string;
}

export interface MatchedStatement {
  source: 'identity' | 'boundary';
  /** Index into `policies` (always 0 for the boundary). */
  policy: number;
  statement: number;
  effect: 'Allow' | 'Deny';
  conditional: boolean;
}

export interface Evaluation {
  decision: Decision;
  /** Every statement that applied, in policy order. */
  matched: MatchedStatement[];
}

export function evaluate(policies: readonly PolicyDocument[], request: EvaluationRequest, options: EvaluationOptions = {}): Evaluation {
  const allowMode = options.allowConditions ?? 'assume-met';
  const denyMode = options.denyConditions ?? 'assume-met';
  const variables = options.variables ?? {};
  const matched: MatchedStatement[] = [];
  policies.forEach((doc, p) =>
    doc.Statement.forEach((s, i) => {
      if (statementApplies(s, request, s.Effect === 'Allow' ? allowMode : denyMode, variables))
        matched.push({ source: 'identity', policy: p, statement: i, effect: s.Effect, conditional: isConditional(s) });
    }),
  );
  const boundaryMode: ConditionTreatment = typeof allowMode === 'string' ? allowMode : 'assume-met';
  options.boundary?.Statement.forEach((s, i) => {
    if (statementApplies(s, request, s.Effect === 'Allow' ? boundaryMode : denyMode, variables))
      matched.push({ source: 'boundary', policy: 0, statement: i, effect: s.Effect, conditional: isConditional(s) });
  });
  let decision: Decision;
  if (matched.some((m) => m.effect === 'Deny')) decision = 'denied';
  else if (matched.some((m) => m.source === 'identity') && (options.boundary === undefined || matched.some((m) => m.source === 'boundary')))
    decision = 'allowed';
  else decision = 'implicit-deny';
  return { decision, matched };
}

export function isConditional(s: Statement): boolean {
  return s.Condition !== undefined && Object.keys(s.Condition).length > 0;
}

function statementApplies(s: Statement, request: EvaluationRequest, mode: ConditionTreatment, variables: Readonly<Record<string, string>>): boolean {
  if (!conditionApplies(s, mode)) return false;
  if (!actionApplies(s, request.action)) return false;
  return resourceApplies(s, request.resource, variables);
}

function conditionApplies(s: Statement, mode: ConditionTreatment): boolean {
  if (!isConditional(s)) return true;
  if (mode === 'assume-met') return true;
  if (mode === 'assume-unmet') return false;
  return mode.sameAs !== undefined && canonicalConditionKey(s.Condition) === canonicalConditionKey(mode.sameAs);
}

function actionApplies(s: Statement, action: string): boolean {
  if (s.NotAction !== undefined) return !asList(s.NotAction).some((p) => actionMatches(p, action));
  return asList(s.Action).some((p) => actionMatches(p, action));
}

function resourceApplies(s: Statement, resource: string, variables: Readonly<Record<string, string>>): boolean {
  const deny = s.Effect === 'Deny';
  const resolve = (entry: string): string | undefined => resolveVariables(entry, variables, deny);
  if (s.NotResource !== undefined) {
    const excluded = asList(s.NotResource).map(resolve);
    // Allow: no excluded entry may touch the request. Deny: applies unless one entry excludes all of it.
    // An unresolvable entry in an Allow's NotResource might exclude anything: the Allow cannot be relied on.
    if (deny) return !excluded.some((e) => e !== undefined && patternCovers(e, resource));
    return !excluded.some((e) => e === undefined || patternsIntersect(e, resource));
  }
  if (s.Resource === undefined) return deny;
  return asList(s.Resource)
    .map(resolve)
    .some((e) => e !== undefined && (deny ? patternsIntersect(e, resource) : patternCovers(e, resource)));
}

/** Substitutes `${key}`; unresolved variables give `undefined` for Allows and `*` for Denies. */
function resolveVariables(entry: string, variables: Readonly<Record<string, string>>, deny: boolean): string | undefined {
  if (!entry.includes('${')) return entry;
  let unresolved = false;
  const out = entry.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (name === '*' || name === '?' || name === '$') {
      unresolved = true; // literal escapes cannot be expressed in our pattern language
      return '*';
    }
    const value = variables[name];
    if (value === undefined) {
      unresolved = true;
      return '*';
    }
    return value;
  });
  return unresolved && !deny ? undefined : out;
}

/** Canonical JSON of a condition block (operators, keys and values sorted) for equality tests. */
export function canonicalConditionKey(condition: ConditionBlock | undefined): string {
  if (condition === undefined || Object.keys(condition).length === 0) return '';
  const ops = Object.keys(condition).sort();
  return JSON.stringify(
    ops.map((op) => {
      const block = condition[op] ?? {};
      return [
        op,
        Object.keys(block)
          .sort()
          .map((k) => {
            const v = block[k];
            const values = (Array.isArray(v) ? [...(v as readonly unknown[])] : [v]).map((x) => String(x)).sort();
            return [k, values];
          }),
      ];
    }),
  );
}

/** Whether a statement's Action/NotAction covers a concrete action (resources and conditions ignored). */
export function statementCoversAction(s: Statement, action: string): boolean {
  return actionApplies(s, action);
}

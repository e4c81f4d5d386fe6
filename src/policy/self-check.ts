/**
 * The self-check a proposal passes before anything is printed or written, with our own evaluator:
 * 1. every observed successful call the current policies allow is allowed by the proposal
 *    (conditional Allows count as met, conditional Denies as unmet: the call succeeded);
 * 2. every (action, resource) a proposed Allow statement names is allowed by the current identity
 *    policies through statements with no condition or exactly the same condition, and whatever the
 *    current policies may explicitly deny (conditional Denies counted) the proposal denies too.
 * The boundary stays attached, so proving proposal ⊆ current on identity policies is enough.
 */
import type { IamCatalog } from '../iam/catalog.js';
import { canonicalConditionKey, evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList, expandActionPattern } from '../iam/expand.js';
import type { ActionId, PolicyDocument, Statement } from '../model.js';

export interface ObservedCall {
  action: ActionId;
  resource: string;
}

export interface SelfCheckResult {
  observedCalls: number;
  allowed: number;
  /** Proposed (action, resource) pairs the current policies do not allow: must be 0. */
  newlyAllowed: number;
  failures: string[];
}

export function selfCheck(input: {
  catalog: IamCatalog;
  current: readonly PolicyDocument[];
  boundary: PolicyDocument | undefined;
  proposal: readonly PolicyDocument[];
  observed: readonly ObservedCall[];
  /** Pairs kept through the fail-safe (today's grant for unmapped calls, unresolved resources): must stay allowed. */
  kept?: readonly ObservedCall[];
}): SelfCheckResult {
  const { catalog, current, boundary, proposal, observed } = input;
  const failures: string[] = [];
  // Kept pairs: whatever today's policies allow of them (their Denies, kept verbatim, may carve
  // parts out of a kept pattern), the proposal allows too.
  for (const call of input.kept ?? []) {
    const options = { boundary, allowConditions: 'assume-met', denyConditions: 'assume-unmet' } as const;
    if (evaluate(current, call, options).decision === 'allowed' && evaluate(proposal, call, options).decision !== 'allowed')
      failures.push(`kept permission ${call.action} on ${call.resource} (fail-safe) is not allowed by the proposal`);
  }
  let allowed = 0;
  for (const call of observed) {
    const decision = evaluate(proposal, call, {
      boundary,
      allowConditions: 'assume-met',
      denyConditions: 'assume-unmet',
    }).decision;
    if (decision === 'allowed') allowed += 1;
    else failures.push(`observed call ${call.action} on ${call.resource} is ${decision} by the proposal`);
  }
  let newlyAllowed = 0;
  // Proposal ⊆ current is proven in two parts: every proposed Allow is granted by today's Allows
  // (with the same or no condition), and whatever today's Denies may deny inside it, the proposal
  // denies too. Checking the first part against Allows and Denies together would count a Deny
  // that the proposal keeps verbatim against it, and refuse a proposal that is in fact narrower.
  const currentAllows = current.map((d) => ({ ...d, Statement: d.Statement.filter((s) => s.Effect === 'Allow') }));
  for (const statement of proposal.flatMap((d) => d.Statement)) {
    if (statement.Effect !== 'Allow') continue;
    for (const probe of probes(catalog, statement)) {
      if (probe.notResource !== undefined) {
        if (!hasSameNotResourceGrant(current, statement, probe.action)) {
          newlyAllowed += 1;
          failures.push(`${probe.action} with NotResource ${probe.notResource} is not granted that way today`);
        }
        continue;
      }
      const request = { action: probe.action, resource: probe.resource };
      const today = evaluate(currentAllows, request, {
        allowConditions: { sameAs: statement.Condition },
        denyConditions: 'assume-unmet',
      }).decision;
      if (today !== 'allowed') {
        newlyAllowed += 1;
        failures.push(`${probe.action} on ${probe.resource} would be newly allowed (today: ${today})`);
      }
      const deniedToday = evaluate(current, request, { denyConditions: 'assume-met' }).decision === 'denied';
      if (deniedToday && evaluate(proposal, request, { denyConditions: 'assume-met' }).decision !== 'denied')
        failures.push(`${probe.action} on ${probe.resource} is explicitly denied today but not by the proposal`);
    }
  }
  return { observedCalls: observed.length, allowed, newlyAllowed, failures };
}

type Probe = { action: ActionId; resource: string; notResource?: undefined } | { action: ActionId; notResource: string };

function probes(catalog: IamCatalog, statement: Statement): Probe[] {
  const actions = [...new Set(asList(statement.Action).flatMap((p) => expandOrKeep(catalog, p)))];
  if (statement.NotAction !== undefined) return [{ action: '*', notResource: 'NotAction statements are never proposed' }];
  if (statement.NotResource !== undefined) return actions.map((action) => ({ action, notResource: asList(statement.NotResource).join(',') }));
  return actions.flatMap((action) => asList(statement.Resource).map((resource) => ({ action, resource })));
}

function expandOrKeep(catalog: IamCatalog, pattern: string): ActionId[] {
  const expanded = expandActionPattern(catalog, pattern);
  return expanded.length > 0 ? expanded : [pattern];
}

function hasSameNotResourceGrant(current: readonly PolicyDocument[], proposed: Statement, action: ActionId): boolean {
  const key = JSON.stringify([...asList(proposed.NotResource)].sort());
  const condition = canonicalConditionKey(proposed.Condition);
  return current
    .flatMap((d) => d.Statement)
    .some(
      (s) =>
        s.Effect === 'Allow' &&
        s.NotResource !== undefined &&
        JSON.stringify([...asList(s.NotResource)].sort()) === key &&
        (s.Condition === undefined || canonicalConditionKey(s.Condition) === condition) &&
        statementCoversAction(s, action),
    );
}

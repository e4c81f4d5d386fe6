/**
 * Statements as today's grant gives them: an action under the Resource/NotResource and Condition
 * of each statement granting it (kept and unobservable permissions), an action on named ARNs under
 * the conditions granting each, and whether today's policies grant a candidate pattern (the bound
 * every generalisation stays within).
 */
import { compareText } from '../util/compare-text.js';
import { canonicalConditionKey, evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList } from '../iam/expand.js';
import { patternsIntersect } from '../iam/wildcard-patterns.js';
import type { KeptPermission } from '../diff/fail-safe.js';
import type { ActionId, ConditionBlock, PolicyDocument, Statement } from '../model.js';
import { canonicalStatement } from './canonical.js';

/**
 * `action` as today's Allow statements grant it: one statement per granting statement with its
 * Resource/NotResource and Condition. With `overlapping`, only Resource entries that may name one
 * of those patterns are kept (a NotResource statement is kept whole: it may).
 */
export function asGrantedToday(statements: readonly Statement[], action: ActionId, overlapping: readonly string[] | undefined): Statement[] {
  const out: Statement[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow' || !statementCoversAction(s, action)) continue;
    const condition = s.Condition !== undefined ? { Condition: s.Condition } : {};
    if (s.NotResource !== undefined) {
      out.push(canonicalStatement({ Effect: 'Allow', Action: action, NotResource: s.NotResource, ...condition }));
      continue;
    }
    const resources = asList(s.Resource).filter((r) => overlapping === undefined || overlapping.some((p) => patternsIntersect(r, p)));
    if (resources.length > 0 || overlapping === undefined) out.push(canonicalStatement({ Effect: 'Allow', Action: action, Resource: resources, ...condition }));
  }
  return out;
}

/** A kept action on the ARNs the records name, under the conditions of the statements granting each. */
export function namedStatements(identity: readonly PolicyDocument[], k: KeptPermission): Statement[] {
  const groups = new Map<string, { condition: ConditionBlock | undefined; resources: Set<string> }>();
  for (const resource of k.resources)
    for (const condition of grantingConditions(identity, k.action, resource)) {
      const key = canonicalConditionKey(condition);
      const group = groups.get(key) ?? { condition, resources: new Set<string>() };
      group.resources.add(resource);
      groups.set(key, group);
    }
  return [...groups.values()].map((g) => statement(k.action, [...g.resources].sort(compareText), g.condition));
}

/** The conditions under which today's Allows grant (action, resource): `[undefined]` when one is unconditional. */
function grantingConditions(identity: readonly PolicyDocument[], action: ActionId, resource: string): (ConditionBlock | undefined)[] {
  const granting = evaluate(identity, { action, resource }, { allowConditions: 'assume-met', denyConditions: 'assume-unmet' })
    .matched.filter((m) => m.effect === 'Allow')
    .map((m) => identity[m.policy]?.Statement[m.statement])
    .filter((s): s is Statement => s !== undefined);
  return granting.some((s) => canonicalConditionKey(s.Condition) === '') ? [undefined] : granting.map((s) => s.Condition);
}

/** Whether the current policies grant `action` on every resource `pattern` names, under `condition`. */
export function grantsToday(
  identity: readonly PolicyDocument[],
  boundary: PolicyDocument | undefined,
  action: ActionId,
  pattern: string,
  condition: ConditionBlock | undefined,
): boolean {
  return (
    evaluate(
      identity,
      { action, resource: pattern },
      {
        boundary,
        allowConditions: { sameAs: condition },
        denyConditions: 'assume-unmet',
      },
    ).decision === 'allowed'
  );
}

export function statement(action: ActionId, resources: string[], condition: ConditionBlock | undefined): Statement {
  return canonicalStatement({
    Effect: 'Allow',
    Action: action,
    Resource: resources,
    ...(condition !== undefined ? { Condition: condition } : {}),
  });
}

/**
 * Per-policy proposals: the merged proposal (what the role as a whole keeps) split back onto the
 * policies that grant it. Each policy's share is the merged proposal intersected with what that
 * one document grants today, with its conditions: a share never grants what its document did not,
 * and the union of the shares allows exactly what the merged proposal allows. An (action, resource)
 * two documents both grant is kept in both, so editing any one document alone never removes what
 * another still relies on. The permissions boundary is a limit, not a grant, and gets no share.
 *
 * AWS-managed policies cannot be edited: their share is what a customer-managed policy replacing
 * the attachment would hold, proposed as a separate change.
 */
import type { IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { canonicalConditionKey, evaluate, statementCoversAction } from '../iam/evaluate.js';
import { asList, expandActionPattern, isBlanketDeny, statementActionSet } from '../iam/expand.js';
import type { ActionId, ConditionBlock, PolicyDocument, PolicyShare, RoleGrant, RolePolicy, ShareChange, Statement } from '../model.js';
import { canonicalPolicy, canonicalStatement } from './canonical.js';

const AWS_MANAGED = /^arn:[^:]+:iam::aws:policy\//;

export function isAwsManagedArn(arn: string | undefined): boolean {
  return arn !== undefined && AWS_MANAGED.test(arn);
}

/** New grants keep their permissions for a while: they may not have had the chance to be used. */
export interface Grace {
  days: number;
  /** The end of the evidence window: ages are measured to it. */
  now: string;
}

const DAY_MS = 86_400_000;

/** Why a policy is kept as it is under `grace`, or undefined. */
function graceReason(grant: RoleGrant, policy: RolePolicy, grace: Grace | undefined): string | undefined {
  if (grace === undefined || grace.days <= 0) return undefined;
  const young = (date: string | undefined): boolean => date !== undefined && Date.parse(grace.now) - Date.parse(date) < grace.days * DAY_MS;
  if (young(grant.createDate))
    return `the role was created on ${grant.createDate?.slice(0, 10) ?? ''}, less than ${grace.days} days before ${grace.now.slice(0, 10)} (--grace-days)`;
  if (young(policy.versionDate))
    return `its current version was created on ${policy.versionDate?.slice(0, 10) ?? ''}, less than ${grace.days} days before ${grace.now.slice(0, 10)} (--grace-days)`;
  return undefined;
}

/**
 * The shares of every policy that grants the role anything, in the grant's order. Under `grace`, a
 * policy whose current version is younger than the grace period, or every policy of a role younger
 * than it, is kept as it is (change `grace`, with the reason): its permissions may not have had
 * the chance to be used. Keeping a whole document only widens the union, so nothing observed breaks.
 */
export function policyShares(catalog: IamCatalog, grant: RoleGrant, merged: readonly PolicyDocument[], grace?: Grace): PolicyShare[] {
  return grant.policies.map((policy) => {
    const share = shareOf(catalog, policy, merged);
    const reason = graceReason(grant, policy, grace);
    if (reason === undefined || share.change === 'unchanged' || share.change === 'keep-aws-managed') return share;
    return { ...share, change: 'grace', proposed: share.current, keptActions: share.grantedActions, removedActions: [], graceReason: reason };
  });
}

function shareOf(catalog: IamCatalog, policy: RolePolicy, merged: readonly PolicyDocument[]): PolicyShare {
  const current = canonicalPolicy(policy.document);
  const statements: Statement[] = [];
  const mergedStatements = merged.flatMap((d) => d.Statement);
  const ownDenies = new Set(policy.document.Statement.filter((s) => s.Effect === 'Deny').map((s) => JSON.stringify(canonicalStatement(s))));
  for (const s of mergedStatements) {
    if (s.Effect === 'Deny') {
      if (ownDenies.has(JSON.stringify(canonicalStatement(s)))) statements.push(canonicalStatement(s));
      continue;
    }
    statements.push(...intersect(catalog, policy.document, s));
  }
  const proposed = canonicalPolicy({ ...(current.Version !== undefined ? { Version: current.Version } : {}), Statement: groupByResources(statements) });
  const granted = allowedActions(catalog, policy.document.Statement);
  const kept = allowedActions(catalog, proposed.Statement);
  const removedActions = [...granted].filter((a) => !kept.has(a)).sort(compareText);
  const awsManaged = policy.kind === 'managed' && isAwsManagedArn(policy.arn);
  const same = JSON.stringify(proposed) === JSON.stringify(current);
  const change: ShareChange = awsManaged
    ? same
      ? 'keep-aws-managed'
      : 'replace-aws-managed'
    : same
      ? 'unchanged'
      : proposed.Statement.every((x) => x.Effect !== 'Allow')
        ? 'remove'
        : 'edit';
  return {
    kind: policy.kind === 'inline' ? 'inline' : 'managed',
    name: policy.name,
    ...(policy.arn !== undefined ? { arn: policy.arn } : {}),
    awsManaged,
    change,
    current,
    proposed: change === 'remove' ? { ...proposed, Statement: [] } : proposed,
    grantedActions: granted.size,
    keptActions: kept.size,
    removedActions,
    ...(policy.attachedTo !== undefined ? { attachedTo: policy.attachedTo } : {}),
  };
}

/** Concrete actions allowed on some resource (Allows minus blanket Denies). */
function allowedActions(catalog: IamCatalog, statements: readonly Statement[]): Set<ActionId> {
  const out = new Set<ActionId>();
  for (const s of statements) if (s.Effect === 'Allow') for (const a of statementActionSet(catalog, s)) out.add(a);
  for (const s of statements) if (isBlanketDeny(s)) for (const a of statementActionSet(catalog, s)) out.delete(a);
  return out;
}

function expandOrKeep(catalog: IamCatalog, pattern: string): ActionId[] {
  const expanded = expandActionPattern(catalog, pattern);
  return expanded.length > 0 ? expanded : [pattern];
}

/**
 * The part of one merged Allow statement that `doc` grants: per action entry and resource, under
 * the statement's condition when the document grants it unconditionally or under that very
 * condition, or under the document's own condition when the merged statement has none.
 */
function intersect(catalog: IamCatalog, doc: PolicyDocument, s: Statement): Statement[] {
  const allows = doc.Statement.filter((t) => t.Effect === 'Allow');
  if (allows.length === 0 || s.NotAction !== undefined) return [];
  const out: Statement[] = [];
  const condition = s.Condition;
  if (s.NotResource !== undefined) {
    const key = JSON.stringify([...asList(s.NotResource)].sort());
    const actions = asList(s.Action).flatMap((entry) => {
      const covered = (a: string): boolean =>
        allows.some(
          (t) =>
            t.NotResource !== undefined &&
            JSON.stringify([...asList(t.NotResource)].sort()) === key &&
            (t.Condition === undefined || canonicalConditionKey(t.Condition) === canonicalConditionKey(condition)) &&
            statementCoversAction(t, a),
        );
      const expanded = expandOrKeep(catalog, entry);
      return expanded.every(covered) ? [entry] : expanded.filter(covered);
    });
    if (actions.length > 0) out.push(canonicalStatement({ ...s, Action: actions }));
    return out;
  }
  const grants = (action: string, resource: string, cond: ConditionBlock | undefined): boolean =>
    // The same resource written the same way (policy variables included) in a statement covering the action.
    allows.some(
      (t) =>
        asList(t.Resource).includes(resource) &&
        statementCoversAction(t, action) &&
        (t.Condition === undefined || canonicalConditionKey(t.Condition) === canonicalConditionKey(cond)),
    ) || evaluate([{ Statement: allows }], { action, resource }, { allowConditions: { sameAs: cond }, denyConditions: 'assume-unmet' }).decision === 'allowed';
  for (const entry of asList(s.Action)) {
    const expanded = expandOrKeep(catalog, entry);
    for (const resource of asList(s.Resource)) {
      if (expanded.every((a) => grants(a, resource, condition))) {
        out.push(statementOf([entry], resource, condition));
        continue;
      }
      for (const action of expanded) {
        if (grants(action, resource, condition)) {
          out.push(statementOf([action], resource, condition));
          continue;
        }
        if (condition !== undefined) continue;
        // The merged statement is unconditional; this document grants the pair only under its own condition.
        for (const t of allows) {
          if (t.Condition === undefined || !statementCoversAction(t, action)) continue;
          const { Condition: _own, ...unconditional } = t;
          const one: PolicyDocument = { Statement: [unconditional] };
          if (evaluate([one], { action, resource }, { denyConditions: 'assume-unmet' }).decision === 'allowed') {
            out.push(statementOf([action], resource, t.Condition));
          }
        }
      }
    }
  }
  return out;
}

function statementOf(actions: string[], resource: string, condition: ConditionBlock | undefined): Statement {
  return { Effect: 'Allow', Action: actions, Resource: [resource], ...(condition !== undefined ? { Condition: condition } : {}) };
}

/** One statement per (condition, resource set), actions merged: the share stays as compact as the merged proposal. */
function groupByResources(statements: readonly Statement[]): Statement[] {
  const denies = statements.filter((s) => s.Effect === 'Deny');
  const perAction = new Map<string, { condition: ConditionBlock | undefined; action: string; resources: Set<string> }>();
  const passthrough: Statement[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    if (s.Resource === undefined) {
      passthrough.push(s);
      continue;
    }
    for (const action of asList(s.Action)) {
      const key = `${canonicalConditionKey(s.Condition)}\u0000${action.toLowerCase()}`;
      const entry = perAction.get(key) ?? { condition: s.Condition, action, resources: new Set<string>() };
      for (const r of asList(s.Resource)) entry.resources.add(r);
      perAction.set(key, entry);
    }
  }
  const grouped = new Map<string, Statement>();
  for (const { condition, action, resources } of perAction.values()) {
    const list = [...resources].sort(compareText);
    const key = `${canonicalConditionKey(condition)}\u0000${JSON.stringify(list)}`;
    const prior = grouped.get(key);
    if (prior === undefined)
      grouped.set(key, { Effect: 'Allow', Action: [action], Resource: list, ...(condition !== undefined ? { Condition: condition } : {}) });
    else prior.Action = [...asList(prior.Action), action];
  }
  return [...denies, ...grouped.values(), ...passthrough].map(canonicalStatement);
}

/**
 * One managed policy shared by several principals: the union of each principal's share of it
 * (each within the document, so the union is too), so every principal keeps what it uses.
 * `shares` are the same policy's shares from each principal's plan; the figures are recomputed
 * for the union.
 */
export function unionShares(catalog: IamCatalog, shares: readonly PolicyShare[]): PolicyShare {
  const [first] = shares;
  if (first === undefined) throw new Error('unionShares needs at least one share');
  // A principal still in its grace period keeps the whole policy, so everyone does.
  const grace = shares.find((s) => s.change === 'grace');
  if (grace !== undefined)
    return {
      ...first,
      change: 'grace',
      proposed: first.current,
      keptActions: first.grantedActions,
      removedActions: [],
      ...(grace.graceReason !== undefined ? { graceReason: grace.graceReason } : {}),
    };
  const proposed = canonicalPolicy({
    ...(first.current.Version !== undefined ? { Version: first.current.Version } : {}),
    Statement: groupByResources(shares.flatMap((s) => s.proposed.Statement.map(({ Sid: _sid, ...rest }) => rest))),
  });
  const granted = allowedActions(catalog, first.current.Statement);
  const kept = allowedActions(catalog, proposed.Statement);
  const hasAllow = proposed.Statement.some((x) => x.Effect === 'Allow');
  const same = JSON.stringify(proposed) === JSON.stringify(first.current);
  return {
    ...first,
    change: first.awsManaged ? (same ? 'keep-aws-managed' : 'replace-aws-managed') : same ? 'unchanged' : hasAllow ? 'edit' : 'remove',
    proposed: hasAllow ? proposed : { ...proposed, Statement: [] },
    keptActions: kept.size,
    removedActions: [...granted].filter((a) => !kept.has(a)).sort(compareText),
  };
}

/**
 * Proposed policy -> the `Policies:` of an `AWS::Serverless::Function`: AWS SAM policy templates
 * where a template grants only what the proposal already grants, inline statements for the rest.
 * A template never widens the grant: every (action, resource) it expands to must be allowed by
 * the proposal under our evaluator, with conditional proposal statements not counting (a template
 * has no condition). Templates AWS recommends against are never emitted.
 */
import { asList } from '../iam/expand.js';
import { evaluate } from '../iam/evaluate.js';
import type { PolicyDocument, Statement } from '../model.js';
import { canonicalPolicy, POLICY_VERSION } from './canonical.js';
import { bindingsFromArn, expandTemplate, needsRegion, SAM_TEMPLATES, templateUseKey, type SamContext, type SamTemplateUse } from './sam-templates.js';

export interface SamPolicies {
  /** Sorted by template name, then parameters. */
  templates: SamTemplateUse[];
  /** The rest of the proposal, canonical; empty documents dropped. */
  inline: PolicyDocument[];
  /** The templates expanded in `context`: what SAM will put in the role. */
  expanded: PolicyDocument;
  context: SamContext;
}

export interface SamBuildOptions {
  context: SamContext;
  /**
   * The concrete actions an action pattern names (the IAM catalogue). Without it a pattern stands
   * only for itself, which is conservative: `sqs:SendMessage*` then fits only a proposal that
   * grants that very pattern.
   */
  expandAction?: (pattern: string) => string[];
}

/** One grantable pair of a plain Allow statement of the proposal. */
interface Unit {
  doc: number;
  statement: number;
  action: string;
  resource: string;
}

/** Plain Allow statements (Action + Resource, no condition) are the only ones templates replace. */
function isPlainAllow(s: Statement): boolean {
  return (
    s.Effect === 'Allow' &&
    s.Action !== undefined &&
    s.Resource !== undefined &&
    s.NotAction === undefined &&
    s.NotResource === undefined &&
    (s.Condition === undefined || Object.keys(s.Condition).length === 0)
  );
}

function units(proposed: readonly PolicyDocument[]): Unit[] {
  const out: Unit[] = [];
  proposed.forEach((d, doc) =>
    d.Statement.forEach((s, statement) => {
      if (!isPlainAllow(s)) return;
      for (const action of asList(s.Action)) for (const resource of asList(s.Resource)) out.push({ doc, statement, action, resource });
    }),
  );
  return out;
}

function concrete(pattern: string, expandAction: ((p: string) => string[]) | undefined): string[] {
  const expanded = expandAction?.(pattern) ?? [];
  return expanded.length > 0 ? expanded : [pattern];
}

/**
 * What a template action grants. With the catalogue, a name it does not know grants nothing (IAM
 * ignores unknown actions; SQSPollerPolicy lists sqs:DeleteMessageBatch, which IAM authorizes as
 * sqs:DeleteMessage). Without it, the name stands for itself.
 */
function granted(pattern: string, expandAction: ((p: string) => string[]) | undefined): string[] {
  return expandAction === undefined ? [pattern] : expandAction(pattern);
}

/** True when every (action, resource) of the statements is allowed by `policies` without conditions. */
export function statementsWithin(statements: readonly Statement[], policies: readonly PolicyDocument[], expandAction?: (pattern: string) => string[]): boolean {
  return statements.every((s) =>
    asList(s.Action).every((pattern) =>
      granted(pattern, expandAction).every((action) =>
        asList(s.Resource).every((resource) => evaluate(policies, { action, resource }, { allowConditions: { sameAs: undefined } }).decision === 'allowed'),
      ),
    ),
  );
}

function coversUnit(doc: PolicyDocument, unit: Unit, expandAction: ((p: string) => string[]) | undefined): boolean {
  return concrete(unit.action, expandAction).every((action) => evaluate([doc], { action, resource: unit.resource }).decision === 'allowed');
}

/** Candidate template uses: every binding read back from a proposal ARN, kept when within the proposal. */
function candidates(proposed: readonly PolicyDocument[], all: readonly Unit[], options: SamBuildOptions): SamTemplateUse[] {
  const arns = [...new Set(all.map((u) => u.resource))].sort();
  const out = new Map<string, SamTemplateUse>();
  for (const t of SAM_TEMPLATES) {
    if (t.avoid !== undefined) continue;
    if (needsRegion(t) && options.context.region === undefined) continue;
    const bindings = Object.keys(t.parameters).length === 0 ? [{}] : arns.flatMap((arn) => bindingsFromArn(t, arn, options.context));
    for (const parameters of bindings) {
      const use = { template: t.name, parameters };
      const key = templateUseKey(use);
      if (out.has(key)) continue;
      if (statementsWithin(expandTemplate(use, options.context), proposed, options.expandAction)) out.set(key, use);
    }
  }
  return [...out.values()];
}

function regroup(remaining: readonly Unit[]): Statement[] {
  const byAction = new Map<string, string[]>();
  for (const u of remaining) byAction.set(u.action, [...(byAction.get(u.action) ?? []), u.resource]);
  const byResources = new Map<string, { actions: string[]; resources: string[] }>();
  for (const [action, resources] of byAction) {
    const sorted = [...new Set(resources)].sort();
    const key = JSON.stringify(sorted);
    const group = byResources.get(key) ?? { actions: [], resources: sorted };
    group.actions.push(action);
    byResources.set(key, group);
  }
  return [...byResources.values()].map((g) => ({ Effect: 'Allow', Action: g.actions, Resource: g.resources }));
}

/** Splits a proposal into SAM policy templates and the inline statements they do not cover. */
export function buildSamPolicies(proposed: readonly PolicyDocument[], options: SamBuildOptions): SamPolicies {
  const all = units(proposed);
  const pool = candidates(proposed, all, options).map((use) => {
    const doc: PolicyDocument = { Version: POLICY_VERSION, Statement: expandTemplate(use, options.context) };
    const covered = new Set(all.flatMap((u, i) => (coversUnit(doc, u, options.expandAction) ? [i] : [])));
    return { use, covered };
  });
  // Greedy: the template covering most still-uncovered pairs first; ties by name for stable output.
  const chosen: SamTemplateUse[] = [];
  const covered = new Set<number>();
  for (;;) {
    let best: { use: SamTemplateUse; gain: number } | undefined;
    for (const c of pool) {
      const gain = [...c.covered].filter((i) => !covered.has(i)).length;
      if (gain === 0) continue;
      if (best === undefined || gain > best.gain || (gain === best.gain && templateUseKey(c.use) < templateUseKey(best.use))) best = { use: c.use, gain };
    }
    if (best === undefined) break;
    chosen.push(best.use);
    for (const i of pool.find((c) => c.use === best.use)?.covered ?? []) covered.add(i);
  }
  chosen.sort((a, b) => (templateUseKey(a) < templateUseKey(b) ? -1 : 1));
  const expanded: PolicyDocument = { Version: POLICY_VERSION, Statement: chosen.flatMap((u) => expandTemplate(u, options.context)) };
  const remaining = all.filter((u) => !coversUnit(expanded, u, options.expandAction));
  const inline = proposed
    .map((d, doc) => {
      const kept = d.Statement.filter((s) => !isPlainAllow(s));
      const statements = new Set(remaining.filter((u) => u.doc === doc).map((u) => u.statement));
      const rest = [...statements].flatMap((statement) => regroup(remaining.filter((u) => u.doc === doc && u.statement === statement)));
      return { Version: d.Version ?? POLICY_VERSION, Statement: [...kept, ...rest] };
    })
    .filter((d) => d.Statement.length > 0)
    .map(canonicalPolicy);
  return { templates: chosen, inline, expanded, context: options.context };
}

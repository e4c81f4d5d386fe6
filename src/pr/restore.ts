/**
 * `pr --restore`: the pull request that undoes a regression. It re-grants exactly the (action,
 * resource) pairs the role was denied in the window, in the policy file the role's policy lives
 * in, and nothing else: one added statement per set of actions sharing resources, the rest of the
 * document as the file has it. A pair the role's own policies deny explicitly, or already allow
 * (so the denial came from a boundary, an SCP or a resource policy), is not re-granted: adding an
 * Allow would not restore it, and the body says so.
 */
import { InputError } from '../errors.js';
import { evaluate } from '../iam/evaluate.js';
import type { MinimizePlan, PolicyDocument, Statement } from '../model.js';
import { count, plural } from '../render/format.js';
import { compareText } from '../util/compare-text.js';
import { IAMTRIM_TRAILER } from './git.js';
import { matchedShare, prBranch, prFileChange, writePolicy, type PrPlan, type PrPlanInput } from './plan.js';

export const RESTORE_SID = 'IamtrimRestore';

export interface RestorePair {
  action: string;
  resource: string;
  /** Denied requests of this action in the window (over all its resources). */
  count: number;
  firstDenied: string;
  lastDenied: string;
}

export interface RestoreSelection {
  restore: RestorePair[];
  /** Denied pairs an added Allow would not restore, with why. */
  skipped: { pair: RestorePair; reason: string }[];
}

/** The denied (action, resource) pairs of a plan, split into what an Allow restores and what it cannot. */
export function selectRestorePairs(plan: MinimizePlan): RestoreSelection {
  const restore: RestorePair[] = [];
  const skipped: RestoreSelection['skipped'] = [];
  for (const d of plan.denied) {
    const resources = d.resources.length > 0 ? d.resources : ['*'];
    for (const resource of resources) {
      const pair = { action: d.action, resource, count: d.count, firstDenied: d.firstSeen, lastDenied: d.lastSeen };
      const today = evaluate(plan.current, { action: d.action, resource }, { allowConditions: 'assume-met', denyConditions: 'assume-met' });
      if (today.decision === 'denied') skipped.push({ pair, reason: "an explicit Deny in the role's own policies" });
      else if (today.decision === 'allowed')
        skipped.push({ pair, reason: "already allowed by the role's policies: the denial came from a permissions boundary, an SCP or a resource policy" });
      else restore.push(pair);
    }
  }
  const byPair = (a: { action: string; resource: string }, b: { action: string; resource: string }): number =>
    compareText(a.action, b.action) || compareText(a.resource, b.resource);
  restore.sort(byPair);
  skipped.sort((a, b) => byPair(a.pair, b.pair));
  return { restore, skipped };
}

/** One Allow statement per distinct resource set, actions sorted; Sids `IamtrimRestore`, `IamtrimRestore2`, ... */
export function restoreStatements(pairs: readonly RestorePair[]): Statement[] {
  const byAction = new Map<string, string[]>();
  for (const p of pairs) byAction.set(p.action, [...(byAction.get(p.action) ?? []), p.resource]);
  const byResources = new Map<string, { actions: string[]; resources: string[] }>();
  for (const [action, resources] of byAction) {
    const sorted = [...new Set(resources)].sort(compareText);
    const key = sorted.join('\n');
    const group = byResources.get(key) ?? { actions: [], resources: sorted };
    group.actions.push(action);
    byResources.set(key, group);
  }
  return [...byResources.values()]
    .sort((a, b) => compareText(a.actions[0] ?? '', b.actions[0] ?? ''))
    .map((g, i) => ({
      Sid: i === 0 ? RESTORE_SID : `${RESTORE_SID}${i + 1}`,
      Effect: 'Allow' as const,
      Action: g.actions.length === 1 ? g.actions[0]! : [...g.actions].sort(compareText),
      Resource: g.resources.length === 1 ? g.resources[0]! : g.resources,
    }));
}

function restoreBody(plan: MinimizePlan, selection: RestoreSelection, target: string, version: string): string {
  const lines = [
    `## Restore denied calls of \`${plan.roleName}\``,
    '',
    `${plural(selection.restore.length, '(action, resource) pair')} that \`${plan.roleName}\` was denied between ${plan.window.start} and ${plan.window.end} ${selection.restore.length === 1 ? 'is' : 'are'} granted again in \`${target}\`, and nothing else: the change adds ${selection.restore.length === 1 ? 'one statement' : 'statements'} with Sid \`${RESTORE_SID}\`.`,
    '',
    '| action | resource | denied | first denial | last denial |',
    '|---|---|---:|---|---|',
    ...selection.restore.map((p) => `| \`${p.action}\` | \`${p.resource}\` | ${count(p.count)} | ${p.firstDenied} | ${p.lastDenied} |`),
  ];
  if (selection.skipped.length > 0) {
    lines.push('', `### Not restored here (${selection.skipped.length})`, '');
    for (const s of selection.skipped) lines.push(`- \`${s.pair.action}\` on \`${s.pair.resource}\`: ${s.reason}.`);
  }
  lines.push(
    '',
    '### Evidence',
    '',
    `${plural(plan.evidence.records, 'record')} from ${plan.evidence.source}; the denials are CloudTrail \`AccessDenied\`/\`UnauthorizedOperation\` records of this role.`,
    '',
    '### Rolling back',
    '',
    `Revert this pull request: it only adds the \`${RESTORE_SID}\` statement${selection.restore.length === 1 ? '' : 's'}.`,
    '',
    `<sub>iamtrim ${version}</sub>`,
  );
  return lines.join('\n') + '\n';
}

/** The restore pull request as a value, for the file's policy proven to be the role's (matchedShare). */
export function buildRestorePlan(input: Omit<PrPlanInput, 'shared' | 'principals'>): PrPlan & { selection: RestoreSelection } {
  const { plan } = input;
  const { read, serverless } = matchedShare(input);
  const selection = selectRestorePairs(plan);
  if (selection.restore.length === 0) {
    const why =
      plan.denied.length === 0 ? 'no denied calls in the window' : `every denied pair is out of reach of an Allow (${selection.skipped[0]?.reason ?? ''})`;
    throw new InputError(`--restore: nothing to restore for ${plan.roleName}: ${why}`, {
      hint: 'widen --days to the week the calls failed, or check the boundary, SCPs and resource policies',
    });
  }
  const added = restoreStatements(selection.restore);
  const kept = read.document.Statement.filter((s) => !(typeof s.Sid === 'string' && s.Sid.startsWith(RESTORE_SID)));
  const document: PolicyDocument = { ...read.document, Statement: [...kept, ...added] };
  const rewrite = writePolicy(input, read, document, read.expressions, serverless);
  const target = rewrite.target === input.file ? input.file : `${input.file} ${rewrite.target}`;
  const title = `iamtrim: restore ${plural(selection.restore.length, 'denied call')} of ${plan.roleName}`;
  return {
    role: plan.role,
    base: input.base,
    ...prBranch(`${plan.roleName}-restore`, input.now),
    title,
    body: restoreBody(plan, selection, target, input.version),
    commitMessage: [
      title,
      '',
      `Re-grants exactly the (action, resource) pairs ${plan.roleName} was denied, in ${rewrite.target}.`,
      '',
      IAMTRIM_TRAILER,
      '',
    ].join('\n'),
    ...prFileChange(input.file, rewrite.target, input.fileText, rewrite.content),
    selection,
  };
}

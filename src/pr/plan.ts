/**
 * The pull request as a value: the file edit, branch, commit message, title and body. Built by a
 * pure function from the minimize plan and the file's text at the base commit; `--dry-run` prints
 * it and the apply step (apply.ts) performs it. Nothing here touches git or GitHub.
 */
import { createTwoFilesPatch } from 'diff';
import type { MinimizePlan } from '../model.js';
import { InputError } from '../errors.js';
import { count } from '../render/format.js';
import { renderPolicyDiff } from '../render/policy-diff.js';
import { prTitle, renderPrBody } from '../render/pr-body.js';
import { IAMTRIM_TRAILER } from './git.js';
import { rewritePolicyFile } from './rewrite.js';
import type { SamRenderOptions } from '../render/sam.js';
import { isSamTemplateFile, rewriteSamTemplateFile } from '../serverless/sam-pr.js';

export interface PrPlan {
  role: string;
  base: { branch: string; commit: string };
  /** Branch for a new PR; an open iamtrim PR for the role keeps its own branch. */
  branch: string;
  /** Open PRs whose head starts with this are iamtrim's PR for this role. */
  branchPrefix: string;
  title: string;
  body: string;
  commitMessage: string;
  file: { path: string; target: string; before: string; after: string };
  /** Unified diff of the file, as the PR will show it. */
  fileDiff: string;
}

export interface PrPlanInput {
  plan: MinimizePlan;
  file: string;
  fileText: string;
  resource: string | undefined;
  base: { branch: string; commit: string };
  now: Date;
  version: string;
  /** For a SAM template.yaml: the function context and catalogue for policy templates. */
  sam?: SamRenderOptions;
}

/** Git ref-safe role name: role names may hold `+=,.@` which refs partly forbid. */
export function branchPrefix(roleName: string): string {
  return `iamtrim/${roleName.replace(/[^A-Za-z0-9_-]+/g, '-')}-`;
}

export function buildPrPlan(input: PrPlanInput): PrPlan {
  const { plan } = input;
  const sam = isSamTemplateFile(input.file);
  if (!sam && plan.proposed.length !== 1) {
    throw new InputError(
      `the proposal for ${plan.roleName} needs ${plan.proposed.length} policy documents to fit IAM size limits, and --file ${input.file} holds one`,
      { hint: 'try --resources service for a smaller policy, or split it by hand from `iamtrim minimize --format terraform`' },
    );
  }
  const [doc] = plan.proposed;
  if (doc === undefined) throw new InputError(`no proposed policy for ${plan.roleName}`);
  const rewrite = sam
    ? rewriteSamTemplateFile(input.file, input.fileText, plan, input.resource, input.sam)
    : rewritePolicyFile(input.file, input.fileText, doc, input.resource);
  const date = input.now.toISOString().slice(0, 10).replace(/-/g, '');
  const prefix = branchPrefix(plan.roleName);
  const title = prTitle(plan);
  const fileDiff = createTwoFilesPatch(`a/${input.file}`, `b/${input.file}`, input.fileText, rewrite.content, '', '', { context: 3 });
  const commitMessage = [
    title,
    '',
    `Keeps the ${count(plan.used.length)} actions ${plan.roleName} used between ${plan.window.start} and ${plan.window.end}`,
    `and removes ${count(plan.unused.length)} unused actions from ${rewrite.target}.`,
    `All ${count(plan.verification.observedCalls)} observed calls are allowed by the new policy.`,
    '',
    IAMTRIM_TRAILER,
    '',
  ].join('\n');
  return {
    role: plan.role,
    base: input.base,
    branch: `${prefix}${date}`,
    branchPrefix: prefix,
    title,
    body: renderPrBody({ plan, target: rewrite.target === input.file ? input.file : `${input.file} ${rewrite.target}`, diff: renderPolicyDiff(plan.current, plan.proposed, plan.roleName), version: input.version }),
    commitMessage,
    file: { path: input.file, target: rewrite.target, before: input.fileText, after: rewrite.content },
    fileDiff,
  };
}

/** What `--dry-run` prints: the PR as it would be opened, and the file diff. */
export function renderDryRun(plan: PrPlan): string {
  return [
    `# Dry run: nothing was changed`,
    `Branch: ${plan.branch} (from ${plan.base.branch} at ${plan.base.commit.slice(0, 12)}; an open PR with head ${plan.branchPrefix}* is updated instead)`,
    `Title: ${plan.title}`,
    '',
    '--- PR body ---',
    plan.body,
    '--- file diff ---',
    plan.fileDiff,
  ].join('\n');
}

/**
 * The pull request as a value: the file edit, branch, commit message, title and body. Built by a
 * pure function from the minimize plan and the file's text at the base commit; `--dry-run` prints
 * it and the apply step (apply.ts) performs it. Nothing here touches git or GitHub.
 */
import { createTwoFilesPatch } from 'diff';
import type { MinimizePlan, PolicyShare } from '../model.js';
import { InputError } from '../errors.js';
import { count, plural } from '../render/format.js';
import { renderPolicyDiff } from '../render/policy-diff.js';
import { prTitle, renderPrBody } from '../render/pr-body.js';
import { IAMTRIM_TRAILER } from './git.js';
import { matchPolicy } from './match-policy.js';
import { readPolicyFile, type PolicyRead } from './read-policy.js';
import { rewritePolicyFile, type FileRewrite } from './rewrite.js';
import { isCloudFormationTemplate } from './template-policies.js';
import { matchTemplatePolicy, noMatchMessage, rewriteTemplatePolicy } from './cloudformation-rewrite.js';
import { isServerlessConfig } from './serverless-framework.js';
import { matchServerless, type ServerlessMatch } from './serverless-match.js';
import { rewriteServerlessList } from './serverless-rewrite.js';
import { documentsWithinLimits, writeSplitPolicy } from './split-documents.js';
import { writeSplitTemplatePolicy } from './cloudformation-split.js';

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
  /** The policy written (absent for a restore PR, which adds statements to the policy as it is). */
  share?: PolicyShare;
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
  /** The file is a Terraform template (read by templatefile()): `${...}` are expressions. */
  template?: boolean;
  /** For a serverless.yml: the files its `- ${file(path):key}` statements come from (see serverlessIncludes). */
  serverlessIncludes?: ReadonlyMap<string, string>;
  /** A shared managed policy: the union of every attached principal's share of it (see unionShares). */
  shared?: PolicyShare;
  /** Every principal the rewritten policy is attached to (default: the role). */
  principals?: readonly string[];
}

/** Git ref-safe role name: role names may hold `+=,.@` which refs partly forbid. */
export function branchPrefix(roleName: string): string {
  return `iamtrim/${roleName.replace(/[^A-Za-z0-9_-]+/g, '-')}-`;
}

/** A PR's branch (`<prefix><yyyymmdd>`) and the prefix that finds an open iamtrim PR for it. */
export function prBranch(name: string, now: Date): Pick<PrPlan, 'branch' | 'branchPrefix'> {
  const prefix = branchPrefix(name);
  return { branch: `${prefix}${now.toISOString().slice(0, 10).replace(/-/g, '')}`, branchPrefix: prefix };
}

/** The file edit of a PR and its unified diff, as the PR will show it. */
export function prFileChange(path: string, target: string, before: string, after: string): Pick<PrPlan, 'file' | 'fileDiff'> {
  return { file: { path, target, before, after }, fileDiff: createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: 3 }) };
}

/** `app-common (managed)`, `AWSLambdaBasicExecutionRole (AWS managed)`. */
export function shareLabel(share: PolicyShare): string {
  return `${share.name} (${share.awsManaged ? 'AWS managed' : share.kind})`;
}

/**
 * The role's policy the file holds, proven by matching the two documents, and its share; refused
 * (InputError, exit 3) when the file's policy is none of the role's, or its share cannot be written.
 */
export function matchedShare(input: Pick<PrPlanInput, 'plan' | 'file' | 'fileText' | 'resource' | 'template' | 'serverlessIncludes'>): {
  share: PolicyShare;
  read: PolicyRead;
  expressions: Map<string, string>;
  serverless?: ServerlessMatch;
} {
  const { plan } = input;
  if (isServerlessConfig(input.file, input.fileText)) {
    const serverless = matchServerless(input.file, input.fileText, input.resource, plan.roleName, plan.policies, input.serverlessIncludes);
    return { share: serverless.share, read: serverless.read, expressions: serverless.expressions, serverless };
  }
  const policies = plan.policies.map(shareLabel).join(', ') || 'none';
  if (isCloudFormationTemplate(input.file, input.fileText)) {
    const found = matchTemplatePolicy(input.file, input.fileText, input.resource, plan.policies);
    if (found.kind !== 'matched') throw noMatchMessage(input.file, plan.roleName, policies, found);
    return { share: found.share, read: found.read, expressions: found.expressions };
  }
  const read = readPolicyFile(input.file, input.fileText, input.resource, { template: input.template === true });
  const where = read.target === input.file ? input.file : `${input.file} ${read.target}`;
  const match = matchPolicy(read, plan.policies);
  if (!match.matched) {
    const closest =
      match.closest === undefined ? '' : `; closest: ${shareLabel(match.closest)}, ${Math.round(match.similarity * 100)}% of action entries shared`;
    throw new InputError(`--file ${where}: its policy is not one of ${plan.roleName}'s policies${closest}; ${plan.roleName} has ${policies}`, {
      hint: "point --file (and --resource) at the policy as IAM has it today; pr writes only a policy it can prove is the role's (re-export iam.json if the file was applied since)",
    });
  }
  return { share: match.share, read, expressions: match.expressions };
}

/**
 * `matchedShare`, then the share to write: `shared` (the union over every principal a shared
 * managed policy is attached to) replaces the role's own share of that policy.
 */
export function chooseShare(input: Pick<PrPlanInput, 'plan' | 'file' | 'fileText' | 'resource' | 'shared' | 'template' | 'serverlessIncludes'>): {
  share: PolicyShare;
  read: PolicyRead;
  expressions: Map<string, string>;
  serverless?: ServerlessMatch;
} {
  const { plan } = input;
  const matched = matchedShare(input);
  const { read } = matched;
  const where = read.target === input.file ? input.file : `${input.file} ${read.target}`;
  const match = input.shared !== undefined && input.shared.arn === matched.share.arn ? { ...matched, share: input.shared } : matched;
  const { share } = match;
  if (share.awsManaged) {
    throw new InputError(`--file ${where}: holds ${shareLabel(share)}, which AWS owns and no one can edit`, {
      hint: `create a customer-managed policy from its share (iamtrim minimize --format json: policies[]) and attach it in place of ${share.name}, as a separate change`,
    });
  }
  if (share.change === 'remove') {
    throw new InputError(
      `--file ${where}: ${input.shared !== undefined ? 'none of the principals it is attached to needs anything' : `${plan.roleName} needs nothing`} that ${shareLabel(share)} grants (${plural(share.grantedActions, 'action')}, none used or kept); an IAM policy cannot be empty`,
      {
        hint: `${share.kind === 'inline' ? 'delete the inline policy' : 'detach the policy from the role'} by hand after review; iamtrim does not delete policies`,
      },
    );
  }
  return { share, read, expressions: match.expressions, ...(match.serverless !== undefined ? { serverless: match.serverless } : {}) };
}

/**
 * Writes `doc` where the file's policy (`read`, from matchedShare) lives; `expressions` maps values
 * of `doc` back to the expressions (Terraform, CloudFormation intrinsics) they stood for.
 */
export function writePolicy(
  input: Pick<PrPlanInput, 'file' | 'fileText' | 'resource' | 'template'>,
  read: PolicyRead,
  doc: PolicyShare['proposed'],
  expressions: ReadonlyMap<string, string>,
  serverless?: ServerlessMatch,
): FileRewrite {
  if (serverless !== undefined) return rewriteServerlessList(input.file, input.fileText, serverless, doc, expressions);
  if (isCloudFormationTemplate(input.file, input.fileText)) return rewriteTemplatePolicy(input.file, input.fileText, read.target, doc, expressions);
  return rewritePolicyFile(input.file, input.fileText, doc, input.resource, expressions, { template: input.template === true });
}

/** Several documents where the file's policy lives: a template's managed policy gets sibling resources, Terraform sibling blocks. */
function writeSplit(input: PrPlanInput, chosen: ReturnType<typeof chooseShare>, documents: PolicyShare['proposed'][]): FileRewrite {
  if (chosen.serverless === undefined && isCloudFormationTemplate(input.file, input.fileText)) {
    return writeSplitTemplatePolicy(input.file, input.fileText, chosen.read.target, documents, chosen.expressions);
  }
  return writeSplitPolicy(input.file, input.fileText, input.resource, documents, chosen.expressions);
}

export function buildPrPlan(input: PrPlanInput): PrPlan {
  const { plan } = input;
  const chosen = chooseShare(input);
  const { share } = chosen;
  const kept = share.change === 'unchanged' || share.change === 'grace';
  // A share over IAM's size limits is written as several documents where the format can hold them.
  const documents = kept ? [share.proposed] : documentsWithinLimits(share, plan.policies, input.file);
  const rewrite: FileRewrite = kept
    ? { content: input.fileText, target: chosen.read.target }
    : documents.length > 1
      ? writeSplit(input, chosen, documents)
      : writePolicy(input, chosen.read, share.proposed, chosen.expressions, chosen.serverless);
  // One pull request per policy: a role whose policies live in several files gets one PR for each.
  const branch = prBranch(`${plan.roleName}-${share.name}`, input.now);
  const title = prTitle(plan, share);
  const commitMessage = [
    title,
    '',
    `Keeps ${count(share.keptActions)} of the ${count(share.grantedActions)} actions ${share.name} grants, for what ${plan.roleName} used`,
    `between ${plan.window.start} and ${plan.window.end}, and removes ${count(share.removedActions.length)} from ${rewrite.target}.`,
    `All ${count(plan.verification.observedCalls)} observed calls are allowed by the new policy.`,
    '',
    IAMTRIM_TRAILER,
    '',
  ].join('\n');
  return {
    role: plan.role,
    base: input.base,
    ...branch,
    title,
    body: renderPrBody({
      plan,
      share,
      principals: input.principals ?? [plan.role],
      target: rewrite.target === input.file ? input.file : `${input.file} ${rewrite.target}`,
      diff: renderPolicyDiff([share.current], [share.proposed], share.name),
      version: input.version,
    }),
    commitMessage,
    share,
    ...prFileChange(input.file, rewrite.target, input.fileText, rewrite.content),
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

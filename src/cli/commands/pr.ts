/**
 * `iamtrim pr`: minimize a role, rewrite its policy where it lives in a repository, and open (or
 * update) a pull request carrying the evidence. `--dry-run` prints the PR and changes nothing.
 */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { InputError, UsageError } from '../../errors.js';
import { applyPrPlan } from '../../pr/apply.js';
import { Git } from '../../pr/git.js';
import { GitHub, parseGitHubRemote, parseRepoFlag } from '../../pr/github.js';
import { buildPrPlan, matchedShare, renderDryRun } from '../../pr/plan.js';
import { policyFileReference } from '../../pr/rewrite.js';
import { unionShares } from '../../policy/per-policy.js';
import { parseSavedPlan } from '../../pr/saved-plan.js';
import { buildRestorePlan } from '../../pr/restore.js';
import { isServerlessConfig, serverlessIncludes } from '../../pr/serverless-framework.js';
import type { MinimizePlan, PolicyShare } from '../../model.js';
import { errorCode } from '../../util/error-code.js';
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { addSourceOptions, addWindowOptions, parseWindow } from '../options.js';
import { addProposalOptions, planFromFlags, type PlanFromFlags, type ProposalFlags } from '../proposal-flags.js';
import { addRoleTargetOptions } from '../role-target.js';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

interface PrOptions extends ProposalFlags {
  repo: string;
  file: string;
  resource?: string;
  base: string;
  remote: string;
  githubApiUrl?: string;
  githubRepo?: string;
  dryRun?: boolean;
  plan?: string;
  restore?: boolean;
}

async function readSavedPlan(file: string): Promise<MinimizePlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`--plan ${file}: cannot read it (${errorCode(error)})`, { hint: 'write it with iamtrim minimize --format json --out plan.json' });
  }
  return parseSavedPlan(text, file);
}

/**
 * A customer-managed policy attached to other principals: minimized against the union of every
 * attached role's usage (from the same scan), so no role loses what it uses. Refused when it is
 * attached to users or groups (their usage is not read) or with --plan (the plan holds one role).
 */
async function sharedShare(
  plan: MinimizePlan,
  share: PolicyShare,
  computed: PlanFromFlags | undefined,
): Promise<{ share: PolicyShare; principals: string[] } | undefined> {
  const attached = share.attachedTo ?? [];
  const others = attached.filter((arn) => arn !== plan.role);
  if (others.length === 0 || share.awsManaged) return undefined;
  const nonRoles = others.filter((arn) => !/^arn:[^:]+:iam::\d*:role\//.test(arn));
  if (nonRoles.length > 0) {
    throw new InputError(
      `policy ${share.name} is also attached to ${nonRoles.join(', ')}, whose usage iamtrim does not read; trimming it for ${plan.roleName} could break them`,
      {
        hint: `give ${plan.roleName} its own copy of the policy, or detach it from the users and groups first`,
      },
    );
  }
  if (computed === undefined) {
    throw new InputError(`policy ${share.name} is shared with ${others.join(', ')}, and --plan holds the usage of ${plan.roleName} only`, {
      hint: 'leave out --plan: pr then minimizes the policy against the usage of every role it is attached to',
    });
  }
  const shares = [share];
  for (const arn of others) {
    let other: MinimizePlan;
    try {
      other = await computed.planFor(arn);
    } catch (error) {
      if (error instanceof InputError) {
        throw new InputError(`policy ${share.name} is shared with ${arn}: ${error.message}`, {
          hint: error.hint ?? 'fix the evidence for that role too: the shared policy is minimized for every role it is attached to',
        });
      }
      throw error;
    }
    const theirs = other.policies.find((p) => p.arn === share.arn);
    if (theirs === undefined) throw new InputError(`policy ${share.name}: ${arn} is listed as attached but does not have it`);
    shares.push(theirs);
  }
  return { share: unionShares(computed.catalog, shares), principals: attached };
}

/** With --plan the plan decides what is written: flags that would change it are refused, not ignored. */
function checkPlanFlags(opts: PrOptions, saved: MinimizePlan): void {
  if (opts.role !== undefined && opts.role !== saved.roleName && opts.role !== saved.role) {
    throw new UsageError(`--role ${opts.role}: --plan ${opts.plan ?? ''} is for ${saved.roleName}`, {
      hint: 'leave out --role with --plan, or pass the plan of that role',
    });
  }
  const computing = (['function', 'logs', 'iam', 'index', 'athena', 'end'] as const).filter(
    (k) => (opts as unknown as Record<string, unknown>)[k] !== undefined,
  );
  if (computing.length > 0) {
    throw new UsageError(`--plan writes the saved plan as it is; --${computing[0] ?? ''} would compute another`, {
      hint: 'leave out the source and window flags with --plan',
    });
  }
}

/** Git auth for https remotes: an http header passed through the environment, never argv or URLs. */
async function gitAuthEnv(git: Git, remoteUrl: string, token: string | undefined, env: CliIo['env']): Promise<Record<string, string>> {
  let url: URL;
  try {
    url = new URL(remoteUrl);
  } catch {
    return {};
  }
  if (token === undefined || url.protocol !== 'https:' || url.username !== '') return {};
  const configured = await git.tryRun(['config', '--get-regexp', '^http\\..*extraheader$']);
  if (configured !== undefined && configured.trim() !== '') return {};
  // Appended after any GIT_CONFIG_* entries the environment already carries.
  const index = Number(env['GIT_CONFIG_COUNT'] ?? '0') || 0;
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: `http.${url.origin}/.extraheader`,
    [`GIT_CONFIG_VALUE_${index}`]: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
  };
}

export function registerPr(program: Command, ctx: CommandContext): void {
  const command = program
    .command('pr')
    .description("open or update a pull request that rewrites a role's policy where it lives (JSON, Terraform, CloudFormation, SAM or serverless.yml)")
    .option('--iam <file>', 'authorization details: aws iam get-account-authorization-details > iam.json');
  addRoleTargetOptions(command, 'the role to minimize');
  addWindowOptions(command);
  addSourceOptions(command);
  addProposalOptions(command);
  command
    .option('--repo <path>', 'the git repository holding the policy', '.')
    .requiredOption(
      '--file <path>',
      'the policy file, relative to --repo: a policy .json, a Terraform .tf, a CloudFormation or SAM template (.yaml/.json) or a serverless.yml',
    )
    .option(
      '--resource <address>',
      "in a Terraform file: data.aws_iam_policy_document.NAME or aws_iam_policy.NAME; in a CloudFormation or SAM template: LOGICAL_ID or LOGICAL_ID.POLICY_NAME, when several of its policies are the role's; in a serverless.yml: provider or functions.NAME",
    )
    .option('--base <branch>', 'the branch the pull request merges into', 'main')
    .option('--remote <name>', 'the git remote on GitHub', 'origin')
    .option('--github-api-url <url>', 'GitHub API URL (GitHub Enterprise: https://HOST/api/v3); default $GITHUB_API_URL or https://api.github.com')
    .option('--github-repo <owner/name>', 'the GitHub repository; default: read from the remote URL')
    .option('--dry-run', 'print the pull request title, body and file diff; change nothing')
    .option('--restore', 're-grant exactly the (action, resource) pairs the role was denied in the window (undo a regression), in the file its policy lives in')
    .option('--plan <file>', 'write this reviewed plan (iamtrim minimize --format json --out FILE) instead of computing one; refused if the file changed since')
    .action(async (opts: PrOptions) => {
      const dryRun = opts.dryRun === true;
      const saved = opts.plan !== undefined ? await readSavedPlan(opts.plan) : undefined;
      if (saved !== undefined) checkPlanFlags(opts, saved);
      else parseWindow(opts, ctx.io.now()); // bad --days/--end fail before the repository is touched
      const token = ctx.io.env['GITHUB_TOKEN'];
      if (!dryRun && (token === undefined || token === '')) {
        throw new UsageError('GITHUB_TOKEN is not set', { hint: 'export a token with contents:write and pull-requests:write, or use --dry-run' });
      }
      const probe = new Git({ repo: opts.repo, remote: opts.remote });
      if ((await probe.tryRun(['rev-parse', '--git-dir'])) === undefined) throw new UsageError(`--repo ${opts.repo}: not a git repository`);
      // A dry run uses no network: it needs neither a remote nor a GitHub repository name.
      const remoteUrl = dryRun ? await probe.remoteUrl().catch(() => undefined) : await probe.remoteUrl();
      const secrets = token === undefined ? [] : [token, Buffer.from(`x-access-token:${token}`).toString('base64')];
      const git = new Git({
        repo: opts.repo,
        remote: opts.remote,
        env: dryRun || remoteUrl === undefined ? {} : await gitAuthEnv(probe, remoteUrl, token, ctx.io.env),
        secrets,
      });
      const repo = opts.githubRepo !== undefined ? parseRepoFlag(opts.githubRepo) : remoteUrl !== undefined ? parseGitHubRemote(remoteUrl) : undefined;
      if (repo === undefined && !dryRun) {
        throw new UsageError(`remote '${opts.remote}' is not a GitHub URL, so the repository is unknown`, { hint: 'pass --github-repo OWNER/NAME' });
      }
      if (await git.isDirty()) {
        const message = `--repo ${opts.repo}: the working tree has uncommitted changes`;
        const hint = 'commit or stash them first; iamtrim commits only the policy change';
        if (!dryRun) throw new UsageError(message, { hint });
        ctx.io.err(`warning: ${message}; the real run would refuse (${hint})\n`);
      }
      const baseCommit = dryRun ? await git.localBaseRef(opts.base) : await git.fetchBranch(opts.base);
      if (baseCommit === undefined) throw new InputError(`--base ${opts.base}: remote '${opts.remote}' has no such branch`);
      const tfText = await git.readFile(baseCommit, opts.file);
      if (tfText === undefined) {
        throw new InputError(`--file ${opts.file}: not in ${opts.base} (${baseCommit.slice(0, 12)})`, {
          hint: 'give the path relative to --repo, as committed on --base',
        });
      }
      // policy = file("x.json") / templatefile("x.json", {...}): the policy lives in that file; it is what changes.
      const reference = policyFileReference(opts.file, tfText, opts.resource);
      let fileText = tfText;
      if (reference !== undefined) {
        const followed = await git.readFile(baseCommit, reference.path);
        if (followed === undefined)
          throw new InputError(`--file ${opts.file} ${reference.target}: reads its policy from ${reference.path}, which is not in ${opts.base}`);
        ctx.io.notice(
          `${opts.file} ${reference.target} reads its policy from ${reference.path}${reference.template ? ' (templatefile)' : ''}: rewriting that file\n`,
        );
        opts.file = reference.path;
        delete opts.resource;
        fileText = followed;
      }
      // A serverless.yml's `- ${file(path):key}` statements: the files they come from, as committed on the base.
      const includes = new Map<string, string>();
      if (isServerlessConfig(opts.file, fileText)) {
        for (const path of serverlessIncludes(opts.file, fileText)) {
          const included = await git.readFile(baseCommit, path);
          if (included !== undefined) includes.set(path, included);
        }
      }
      if (opts.restore === true) {
        // A role whose calls now all fail has no usage to keep: that is the case --restore is for.
        const plan = saved ?? (await planFromFlags({ ...opts, allowEmpty: true }, ctx)).plan;
        const restorePlan = buildRestorePlan({
          plan,
          file: opts.file,
          fileText,
          resource: opts.resource,
          serverlessIncludes: includes,
          base: { branch: opts.base, commit: baseCommit },
          now: ctx.io.now(),
          version,
        });
        for (const s of restorePlan.selection.skipped) ctx.io.notice(`not restored: ${s.pair.action} on ${s.pair.resource}: ${s.reason}\n`);
        if (dryRun) {
          ctx.io.out(renderDryRun(restorePlan));
          return;
        }
        if (repo === undefined)
          throw new UsageError(`remote '${opts.remote}' is not a GitHub URL, so the repository is unknown`, { hint: 'pass --github-repo OWNER/NAME' });
        const apiUrl = opts.githubApiUrl ?? ctx.io.env['GITHUB_API_URL'] ?? 'https://api.github.com';
        const github = new GitHub(repo, { token: token ?? '', baseUrl: apiUrl.replace(/\/$/, ''), userAgent: `iamtrim/${version}` });
        const result = await applyPrPlan(restorePlan, git, github);
        ctx.io.out(`${result.action} pull request #${result.pullRequest.number}: ${result.pullRequest.url}\n`);
        return;
      }
      const computed = saved === undefined ? await planFromFlags(opts, ctx, { sharedPolicies: true }) : undefined;
      const plan = computed?.plan ?? (saved as MinimizePlan);
      const template = reference?.template === true;
      const shared = await sharedShare(
        plan,
        matchedShare({ plan, file: opts.file, fileText, resource: opts.resource, template, serverlessIncludes: includes }).share,
        computed,
      );
      const prPlan = buildPrPlan({
        plan,
        file: opts.file,
        fileText,
        resource: opts.resource,
        base: { branch: opts.base, commit: baseCommit },
        now: ctx.io.now(),
        version,
        ...(shared !== undefined ? { shared: shared.share, principals: shared.principals } : {}),
        template,
        serverlessIncludes: includes,
      });
      if (prPlan.file.after === prPlan.file.before) {
        const share = prPlan.share;
        ctx.io.err(
          share?.change === 'grace'
            ? `${opts.file}: ${share.name} is kept as it is for ${plan.roleName}: ${share.graceReason ?? 'grace period'}; no pull request needed\n`
            : `${opts.file} already holds the proposed policy for ${plan.roleName}; no pull request needed\n`,
        );
        return;
      }
      if (dryRun) {
        ctx.io.out(renderDryRun(prPlan));
        return;
      }
      const apiUrl = opts.githubApiUrl ?? ctx.io.env['GITHUB_API_URL'] ?? 'https://api.github.com';
      if (repo === undefined)
        throw new UsageError(`remote '${opts.remote}' is not a GitHub URL, so the repository is unknown`, { hint: 'pass --github-repo OWNER/NAME' });
      const github = new GitHub(repo, { token: token ?? '', baseUrl: apiUrl.replace(/\/$/, ''), userAgent: `iamtrim/${version}` });
      const result = await applyPrPlan(prPlan, git, github);
      ctx.io.out(
        `${result.action} pull request #${result.pullRequest.number}: ${result.pullRequest.url}\n` +
          `branch ${result.branch} ${result.pushed ? `pushed at ${result.commit.slice(0, 12)}` : 'already up to date'}\n`,
      );
    });
}

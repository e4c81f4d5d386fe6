/**
 * The apply step of a PR plan: one commit on the base with only the policy file changed, pushed
 * with a lease, then the PR opened or (when iamtrim's PR for the role is open) updated. It only
 * ever overwrites a branch whose commits all carry iamtrim's trailer.
 */
import { InputError } from '../errors.js';
import { IAMTRIM_TRAILER, type Git } from './git.js';
import type { GitHub, PullRequest } from './github.js';
import type { PrPlan } from './plan.js';

export interface PrResult {
  action: 'opened' | 'updated';
  pullRequest: PullRequest;
  branch: string;
  commit: string;
  /** False when the branch already held exactly this change. */
  pushed: boolean;
}

export async function applyPrPlan(plan: PrPlan, git: Git, github: GitHub): Promise<PrResult> {
  const existing = await github.findOpenPullRequest(plan.branchPrefix, plan.base.branch);
  const branch = existing?.branch ?? plan.branch;
  const remoteTip = await git.fetchBranch(branch);
  if (remoteTip !== undefined) {
    const foreign = (await git.commitsBetween(plan.base.commit, remoteTip)).filter((c) => !c.message.includes(IAMTRIM_TRAILER));
    if (foreign.length > 0) {
      throw new InputError(
        `branch ${branch} has ${foreign.length} commit(s) iamtrim did not make (${foreign.map((c) => c.sha.slice(0, 12)).join(', ')}); refusing to overwrite them`,
        {
          hint:
            existing !== undefined
              ? `merge or close pull request #${existing.number}, or delete the branch, then re-run`
              : `delete the branch ${branch} or re-run on another day`,
        },
      );
    }
  }
  const commit = await git.commitFile(plan.base.commit, plan.file.path, plan.file.after, plan.commitMessage);
  let pushed = false;
  const unchanged =
    remoteTip !== undefined && (await git.treeOf(remoteTip)) === (await git.treeOf(commit)) && (await git.parentsOf(remoteTip)).join(' ') === plan.base.commit;
  if (!unchanged) {
    await git.push(commit, branch, remoteTip);
    pushed = true;
  }
  const content = { title: plan.title, body: plan.body };
  const pullRequest =
    existing !== undefined
      ? await github.updatePullRequest(existing.number, content)
      : await github.createPullRequest({ ...content, branch, base: plan.base.branch });
  return { action: existing !== undefined ? 'updated' : 'opened', pullRequest, branch, commit: pushed ? commit : (remoteTip ?? commit), pushed };
}

/**
 * The PR body stays reviewable for a role granted `*` (the ci-deploy-admin golden scenario: tens
 * of thousands of removed actions), and every figure in it comes from the plan. Also: remote URL
 * parsing and token redaction in git errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MinimizePlan } from '../src/model.js';
import { Git } from '../src/pr/git.js';
import { parseGitHubRemote } from '../src/pr/github.js';
import { buildPrPlan } from '../src/pr/plan.js';
import { count } from '../src/render/format.js';
import { renderPolicyDiff } from '../src/render/policy-diff.js';
import { PR_BODY_LIMIT, renderPrBody } from '../src/render/pr-body.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ci-deploy-admin', 'expected', 'minimize.json'), 'utf8')) as Omit<
  MinimizePlan,
  'current'
>;
const plan: MinimizePlan = { ...fixture, current: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }] };

describe('PR body', () => {
  const body = renderPrBody({ plan, target: 'iam.tf aws_iam_policy.ci', diff: renderPolicyDiff(plan.current, plan.proposed, plan.roleName), version: '0.0.0' });
  const services = new Set(plan.unused.map((a) => a.split(':')[0]));

  it('is a short, reviewable body for a role granted *', () => {
    expect(plan.unused.length).toBeGreaterThan(10_000);
    expect(body.length).toBeLessThan(PR_BODY_LIMIT);
    expect(body.length).toBeLessThan(20_000);
    expect(body).toContain(`removes **${count(plan.unused.length)} actions`);
    expect(body).toContain(`(${count(plan.unused.length)} actions in ${count(services.size)} services)`);
    expect(body).toMatch(/\| and [\d,]+ more services \| [\d,]+ \| \|/);
  });

  it('lists every kept permission with its calls and last-seen day', () => {
    for (const u of plan.used.slice(0, 60)) {
      expect(body).toContain(`| \`${u.action}\``);
      expect(body).toContain(`| ${count(u.count)} | ${u.lastSeen.slice(0, 10)} |`);
    }
  });

  it("states the self-check with the plan's own figures", () => {
    const v = plan.verification;
    expect(v.allowed).toBe(v.observedCalls);
    expect(body).toContain(
      `✅ **Verified:** all ${count(v.observedCalls)} observed calls (distinct requests) are allowed by the new policy; it allows nothing`,
    );
    const failed = renderPrBody({ plan: { ...plan, verification: { ...v, allowed: v.allowed - 1 } }, target: 't', diff: '', version: '0' });
    expect(failed).toContain(`❌ **Verified:** only ${count(v.allowed - 1)} of ${count(v.observedCalls)} observed calls`);
    expect(body.startsWith(`## Least privilege for \`${plan.roleName}\``)).toBe(true);
  });

  it("cuts only the diff when the body would exceed GitHub's limit", () => {
    const huge = renderPrBody({ plan, target: 't', diff: '+x\n'.repeat(40_000), version: '0' });
    expect(huge.length).toBeLessThanOrEqual(PR_BODY_LIMIT);
    expect(huge).toContain('The diff is cut here');
    expect(huge).toContain('### Rolling back');
  });

  it("writes the share of the policy the file holds, and refuses a file holding none of the role's policies", () => {
    const [share] = plan.policies;
    if (share === undefined) throw new Error('the golden plan has no policies[]');
    const input = { plan, file: 'p.json', resource: undefined, base: { branch: 'main', commit: 'abc' }, now: new Date(0), version: '0' };
    const written = buildPrPlan({ ...input, fileText: `${JSON.stringify(share.current, null, 2)}\n` });
    expect(JSON.parse(written.file.after)).toEqual(share.proposed);
    expect(() => buildPrPlan({ ...input, fileText: '{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}' })).toThrow(
      /its policy is not one of ci-deploy's policies; closest: admin \(inline\)/,
    );
  });
});

describe('remote URLs and secrets', () => {
  it.each([
    ['https://github.com/acme/infra.git', 'acme', 'infra'],
    ['https://x-access-token:abc@github.example.com/acme/infra', 'acme', 'infra'],
    ['git@github.com:acme/infra.git', 'acme', 'infra'],
    ['ssh://git@github.example.com:2222/acme/infra.git', 'acme', 'infra'],
  ])('%s -> owner/repo', (url, owner, name) => {
    expect(parseGitHubRemote(url)).toEqual({ owner, name });
  });

  it('rejects a local path', () => {
    expect(parseGitHubRemote('/srv/git/infra.git')).toBeUndefined();
  });

  it('never puts a token from a remote URL or the environment into an error', async () => {
    const token = 'ghs_SECRET_in_url_42';
    const git = new Git({ repo: import.meta.dirname, remote: `https://x-access-token:${token}@127.0.0.1:9/acme/infra.git`, secrets: [token] });
    const error = (await git.fetchBranch('main').catch((e: unknown) => e)) as Error & { exitCode: number };
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/^git ls-remote failed/);
    expect(error.message).not.toContain(token);
  });
});

/**
 * `pr` on real Terraform from public repositories (../shared/datasets/iac, SOURCE.md names each):
 * `policy = templatefile(...)` / `file(...)` is followed to the JSON file, which is matched against
 * the role's policy as IAM has it (template expressions match any text) and rewritten for a role
 * using part of its grant: the expressions survive, a literal `${...}` IAM variable stays escaped
 * as `$${...}`, the result parses, and a template with directives is refused, never half-written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyShare } from '../src/model.js';
import { matchPolicy } from '../src/pr/match-policy.js';
import { readPolicyFile } from '../src/pr/read-policy.js';
import { policyFileReference, rewritePolicyFile } from '../src/pr/rewrite.js';

const IAC = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'iac');
const present = existsSync(join(IAC, 'terraform', 'github-runner', 'scale-up.tf'));
const why = present ? '' : ' (skipped: ../shared/datasets/iac is absent beside this checkout)';
const read = (path: string): string => readFileSync(join(IAC, 'terraform', path), 'utf8');

function share(current: PolicyDocument, proposed: PolicyDocument): PolicyShare {
  return { kind: 'inline', name: 'p', awsManaged: false, change: 'edit', current, proposed, grantedActions: 2, keptActions: 1, removedActions: [] };
}

/** Follows the .tf to its policy file, matches it, writes `proposed`; returns the new text. */
function rewrite(tf: string, resource: string, current: PolicyDocument, proposed: PolicyDocument): { path: string; before: string; after: string } {
  const reference = policyFileReference(`github-runner/${tf}`, read(`github-runner/${tf}`), resource);
  if (reference === undefined) throw new Error('not followed');
  const before = read(reference.path);
  const policy = readPolicyFile(reference.path, before, undefined, { template: reference.template });
  const match = matchPolicy(policy, [share(current, proposed)]);
  if (!match.matched) throw new Error('no match');
  const after = rewritePolicyFile(reference.path, before, match.share.proposed, undefined, match.expressions, { template: reference.template }).content;
  return { path: reference.path, before, after };
}

/** The JSON a template renders to, with `${...}` expressions given values and `$${` unescaped. */
function rendered(text: string, values: Record<string, string>): unknown {
  return JSON.parse(text.replace(/(?<!\$)\$\{([a-z_]+)\}/g, (_, name: string) => values[name] ?? '?').replace(/\$\$\{/g, '${'));
}

describe('Terraform file()/templatefile() on real files', () => {
  const logGroup = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/gh-scale-up';
  it.skipIf(!present)(`scale-up.tf aws_iam_role_policy.scale_up_logging -> templatefile policies/lambda-cloudwatch.json: the expression survives${why}`, () => {
    const current: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup}*` }],
    };
    const proposed: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'AllowLogs', Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: `${logGroup}*` }],
    };
    const out = rewrite('scale-up.tf', 'aws_iam_role_policy.scale_up_logging', current, proposed);
    expect(out.path).toBe('github-runner/policies/lambda-cloudwatch.json');
    expect(out.after).toContain('"${log_group_arn}*"');
    expect(out.after).not.toContain('CreateLogStream');
    expect(out.after).not.toContain('123456789012');
    expect(rendered(out.after, { log_group_arn: logGroup })).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AllowLogs', Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: `${logGroup}*` }],
    });
  });

  it.skipIf(!present)(
    `policies-runner.tf aws_iam_role_policy.ec2 -> templatefile policies/instance-ec2.json: a literal IAM variable stays escaped${why}`,
    () => {
      const condition = { StringEquals: { 'aws:ARN': '${ec2:SourceInstanceARN}' } };
      const current: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ec2:TerminateInstances', Resource: '*', Condition: condition }],
      };
      const instances = 'arn:aws:ec2:eu-west-1:123456789012:instance/*';
      const proposed: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ec2:TerminateInstances', Resource: instances, Condition: condition }],
      };
      const out = rewrite('policies-runner.tf', 'aws_iam_role_policy.ec2', current, proposed);
      expect(out.after).toContain('"$${ec2:SourceInstanceARN}"');
      expect(rendered(out.after, {})).toEqual(proposed);
    },
  );

  it.skipIf(!present)(`policies-runner.tf aws_iam_role_policy.describe_tags -> file(): plain JSON, matched and left alone when nothing changes${why}`, () => {
    const reference = policyFileReference('github-runner/policies-runner.tf', read('github-runner/policies-runner.tf'), 'aws_iam_role_policy.describe_tags');
    expect(reference).toEqual({
      target: 'aws_iam_role_policy.describe_tags',
      path: 'github-runner/policies/instance-describe-tags-policy.json',
      template: false,
    });
    const policy = readPolicyFile(reference?.path ?? '', read('github-runner/policies/instance-describe-tags-policy.json'), undefined);
    const doc: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeTags', Resource: '*' }] };
    expect(matchPolicy(policy, [share(doc, doc)]).matched).toBe(true);
  });

  it.skipIf(!present)(
    `scale-up.tf aws_iam_role_policy.scale_up -> policies/lambda-scale-up.json with %{ if } directives: refused with the reason${why}`,
    () => {
      const reference = policyFileReference('github-runner/scale-up.tf', read('github-runner/scale-up.tf'), 'aws_iam_role_policy.scale_up');
      expect(reference?.template).toBe(true);
      expect(() => readPolicyFile(reference?.path ?? '', read('github-runner/policies/lambda-scale-up.json'), undefined, { template: true })).toThrow(
        /uses directives \(%\{ if \}, %\{ for \}\); iamtrim cannot rewrite it/,
      );
    },
  );
});

/**
 * `pr` proves the file holds one of the role's policies before writing (issue 20, D1): the file's
 * policy is read (JSON, jsonencode, heredoc, aws_iam_policy_document), matched against the role's
 * policies with Terraform expressions standing for any text, and the share is written back with
 * each expression kept where the kept resource is the one it denotes. Results are parsed with
 * @cdktf/hcl2json.
 */
import { parse as parseHcl } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyShare } from '../src/model.js';
import { matchPolicy } from '../src/pr/match-policy.js';
import { readPolicyFile } from '../src/pr/read-policy.js';
import { rewritePolicyFile } from '../src/pr/rewrite.js';

const TF = readFileSync(join(import.meta.dirname, 'pr-files', 'references.tf'), 'utf8');
const ORDERS = 'arn:aws:s3:::orders';
const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';

function share(name: string, current: PolicyDocument, proposed: PolicyDocument): PolicyShare {
  return { kind: 'inline', name, awsManaged: false, change: 'edit', current, proposed, grantedActions: 2, keptActions: 1, removedActions: [] };
}

// The policy as IAM has it: Terraform resolved the references to literal ARNs.
const inIam: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE },
    { Effect: 'Allow', Action: 's3:*', Resource: [`${ORDERS}/*`, ORDERS] },
  ],
};
const kept: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AllowS3', Effect: 'Allow', Action: 's3:ListBucket', Resource: ORDERS },
    { Sid: 'AllowS3Get', Effect: 'Allow', Action: 's3:GetObject', Resource: `${ORDERS}/2026/*` },
    { Sid: 'AllowDynamodb', Effect: 'Allow', Action: 'dynamodb:Query', Resource: TABLE },
  ],
};
const other = share('other', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] }, { Statement: [] });
const mine = share('orders', inIam, kept);

/** Where two texts first differ and how many trailing bytes they share. */
function changed(before: string, after: string): { start: number; suffix: number } {
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  let suffix = 0;
  while (suffix < before.length - start && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  return { start, suffix };
}

describe.each([
  ['aws_iam_policy.encoded', 'policy = jsonencode({', 'resource "aws_iam_role_policy" "heredoc"'],
  ['aws_iam_role_policy.heredoc', 'policy = <<EOF', 'data "aws_iam_policy_document" "doc"'],
  ['data.aws_iam_policy_document.doc', 'data "aws_iam_policy_document" "doc"', '\u0000'],
])('%s', (address, spanStart, after) => {
  it("matches the role's policy through its expressions and keeps them where the kept resource is the one they denote", async () => {
    const read = readPolicyFile('references.tf', TF, address);
    const match = matchPolicy(read, [other, mine]);
    expect(match.matched).toBe(true);
    if (!match.matched) return;
    expect(match.share.name).toBe('orders');
    expect([...match.expressions.keys()].sort()).toEqual([ORDERS, `${ORDERS}/*`, TABLE].sort());
    const out = rewritePolicyFile('references.tf', TF, match.share.proposed, address, match.expressions).content;
    const region = changed(TF, out);
    expect(region.start).toBeGreaterThan(TF.indexOf(spanStart));
    if (after !== '\u0000') expect(TF.length - region.suffix).toBeLessThan(TF.indexOf(after));
    const span = out.slice(region.start, out.length - region.suffix);
    // The bucket ARN kept exactly: still the reference; the narrower object prefix: a literal.
    expect(span).toContain('aws_s3_bucket.orders.arn');
    expect(span).toContain(`${ORDERS}/2026/*`);
    expect(out).toContain('${var.account}');
    expect(out).not.toContain('123456789012');
    expect(span).not.toContain('s3:*');
    expect(span).toContain('s3:ListBucket');
    await expect(parseHcl('references.tf', out)).resolves.toBeTruthy();
  });

  it('does not match a role whose policies differ, and names the closest', () => {
    const read = readPolicyFile('references.tf', TF, address);
    const near = share('near', { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }, { Statement: [] });
    const match = matchPolicy(read, [other, near]);
    expect(match.matched).toBe(false);
    if (match.matched) return;
    expect(match.closest?.name).toBe('near');
    expect(match.similarity).toBeGreaterThan(0);
  });
});

describe('matchPolicy on JSON', () => {
  it('ignores statement order, list order, Sids and action case; a different resource does not match', () => {
    const text = JSON.stringify({
      Statement: [
        { Sid: 'X', Effect: 'Allow', Action: ['S3:*'], Resource: [ORDERS, `${ORDERS}/*`] },
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE },
      ],
    });
    expect(matchPolicy(readPolicyFile('p.json', text, undefined), [mine]).matched).toBe(true);
    const changedText = text.replace('table/orders', 'table/other');
    expect(matchPolicy(readPolicyFile('p.json', changedText, undefined), [mine]).matched).toBe(false);
  });
});

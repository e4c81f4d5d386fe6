/**
 * A policy's share over IAM's size limits (issue 20 item 2): a managed policy's share over 6,144
 * characters is written as several `aws_iam_policy` resources in Terraform, each attached where the
 * original is (its attachments copied), each within the limit; iam-simulate allows every observed
 * call with the parts together and still denies one never made. An inline share over the 10,240
 * characters a role's inline policies share, a JSON file, a template handed to the Terraform writer and a policy
 * whose attachment is not in the file are refused with the reason.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MinimizePlan, PolicyDocument, PolicyShare, Statement } from '../src/model.js';
import { policySize } from '../src/policy/canonical.js';
import { buildPrPlan } from '../src/pr/plan.js';
import { readPolicyFile } from '../src/pr/read-policy.js';
import { documentsWithinLimits, writeSplitPolicy } from '../src/pr/split-documents.js';

const BUCKET = 'arn:aws:s3:::orders-data';
/** The calls the role made: objects read and written under dated prefixes (deterministic). */
const observed: Array<[string, string]> = [];
for (let i = 0; i < 150; i++) {
  const key = `${BUCKET}/reports/2026-02-${String((i % 28) + 1).padStart(2, '0')}/${(i * 2654435761).toString(16).padStart(8, '0')}-summary.json`;
  observed.push([i % 3 === 0 ? 's3:PutObject' : 's3:GetObject', key]);
}
observed.push(['s3:ListBucket', BUCKET]);

/** One statement per action with every resource it was used on, as the proposal writes it. */
function proposal(): PolicyDocument {
  const byAction = new Map<string, string[]>();
  for (const [action, resource] of observed) byAction.set(action, [...(byAction.get(action) ?? []), resource]);
  return {
    Version: '2012-10-17',
    Statement: [...byAction].map(([action, resources]): Statement => ({
      Effect: 'Allow',
      Action: action,
      Resource: resources.length === 1 ? (resources[0] as string) : resources,
    })),
  };
}

const current: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`] }] };
const managed: PolicyShare = {
  kind: 'managed',
  name: 'app-data',
  arn: 'arn:aws:iam::123456789012:policy/app-data',
  awsManaged: false,
  change: 'edit',
  current,
  proposed: proposal(),
  grantedActions: 150,
  keptActions: 3,
  removedActions: [],
};

const TF = `resource "aws_s3_bucket" "data" {
  bucket = "orders-data"
}

resource "aws_iam_policy" "data" {
  name   = "app-data"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:*"]
      Resource = [aws_s3_bucket.data.arn, "\${aws_s3_bucket.data.arn}/*"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "data" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.data.arn
}
`;

/** The Terraform with the bucket's ARN given its value, so the policies can be evaluated. */
const resolved = (text: string): string => text.split('${aws_s3_bucket.data.arn}').join(BUCKET).split('aws_s3_bucket.data.arn').join(`"${BUCKET}"`);

async function allowed(policies: readonly PolicyDocument[], action: string, resource: string): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: 'arn:aws:iam::123456789012:role/app', action, resource: { resource, accountId: '123456789012' }, contextVariables: {} },
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result.resultType === 'error' ? `error: ${JSON.stringify(result.errors).slice(0, 200)}` : result.overallResult;
}

describe('a share over IAM size limits', () => {
  it('a managed share over 6,144 characters is packed into several documents, each within the limit', () => {
    expect(policySize(managed.proposed)).toBeGreaterThan(6144);
    const documents = documentsWithinLimits(managed, [managed], 'iam.tf');
    expect(documents.length).toBeGreaterThan(1);
    for (const d of documents) expect(policySize(d)).toBeLessThanOrEqual(6144);
  });

  it('Terraform: sibling aws_iam_policy resources with copied attachments; every observed call allowed (iam-simulate), nothing else', async () => {
    const documents = documentsWithinLimits(managed, [managed], 'iam.tf');
    const expressions = new Map([[BUCKET, 'aws_s3_bucket.data.arn']]);
    const out = writeSplitPolicy('iam.tf', TF, undefined, documents, expressions);
    expect(out.target).toMatch(/^aws_iam_policy\.data \(\+ aws_iam_policy\.data_part2.*split for IAM's 6,144-character limit\)$/);
    expect(await parseHcl('iam.tf', out.content)).toBeTruthy();
    expect(out.content.startsWith(TF.slice(0, TF.indexOf('  policy = jsonencode')))).toBe(true);
    const parts = documents.map((_, i) => (i === 0 ? 'aws_iam_policy.data' : `aws_iam_policy.data_part${i + 1}`));
    for (let n = 2; n <= documents.length; n++) {
      expect(out.content).toContain(`resource "aws_iam_policy" "data_part${n}" {\n  name   = "app-data-part${n}"`);
      expect(out.content).toContain(
        `resource "aws_iam_role_policy_attachment" "data_part${n}" {\n  role       = aws_iam_role.app.name\n  policy_arn = aws_iam_policy.data_part${n}.arn\n}`,
      );
    }
    // The bucket's ARN, kept for s3:ListBucket, is written back as the reference.
    expect(out.content).toContain('aws_s3_bucket.data.arn');
    const written = parts.map((address) => readPolicyFile('iam.tf', resolved(out.content), address).document);
    for (const d of written) expect(policySize(d)).toBeLessThanOrEqual(6144);
    for (const [action, resource] of observed) expect(await allowed(written, action, resource), `${action} ${resource}`).toBe('Allowed');
    expect(await allowed(written, 's3:DeleteObject', `${BUCKET}/reports/2026-02-01/x.json`)).not.toBe('Allowed');
    expect(await allowed(written, 's3:GetObject', `${BUCKET}/reports/2026-02-01/never-read.json`)).not.toBe('Allowed');
  });

  it('Terraform with the policy in a data source: the data source is copied too', async () => {
    const tf = `data "aws_iam_policy_document" "data" {
  statement {
    actions   = ["s3:*"]
    resources = ["${BUCKET}", "${BUCKET}/*"]
  }
}

resource "aws_iam_policy" "data" {
  name_prefix = "app-data-"
  policy      = data.aws_iam_policy_document.data.json
}

resource "aws_iam_policy_attachment" "data" {
  name       = "app-data"
  roles      = [aws_iam_role.app.name]
  policy_arn = aws_iam_policy.data.arn
}
`;
    const documents = documentsWithinLimits(managed, [managed], 'iam.tf');
    const out = writeSplitPolicy('iam.tf', tf, 'data.aws_iam_policy_document.data', documents, new Map());
    expect(await parseHcl('iam.tf', out.content)).toBeTruthy();
    expect(out.content).toContain(
      'resource "aws_iam_policy" "data_part2" {\n  name_prefix = "app-data-"\n  policy      = data.aws_iam_policy_document.data_part2.json\n}',
    );
    expect(out.content).toContain('policy_arn = aws_iam_policy.data_part2.arn');
    const written = documents.map(
      (_, i) =>
        readPolicyFile('iam.tf', out.content, i === 0 ? 'data.aws_iam_policy_document.data' : `data.aws_iam_policy_document.data_part${i + 1}`).document,
    );
    for (const [action, resource] of observed) expect(await allowed(written, action, resource), `${action} ${resource}`).toBe('Allowed');
  });

  it('refused with the reason: no attachment in the file, a JSON file, a CloudFormation template, an inline share over 10,240 together', () => {
    const documents = documentsWithinLimits(managed, [managed], 'iam.tf');
    const alone = TF.slice(0, TF.indexOf('resource "aws_iam_role_policy_attachment"'));
    expect(() => writeSplitPolicy('iam.tf', alone, undefined, documents, new Map())).toThrow(
      /holds no attachment of aws_iam_policy.data: the other parts would be attached to nothing/,
    );
    expect(() => writeSplitPolicy('p.json', JSON.stringify(current), undefined, documents, new Map())).toThrow(
      /the share needs \d+ managed policies of at most 6,144 characters; a JSON policy file holds one document/,
    );
    expect(() => writeSplitPolicy('t.yaml', 'Resources: {}\n', undefined, documents, new Map())).toThrow(
      /iamtrim writes several documents into Terraform and CloudFormation templates only/,
    );
    const small: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: observed.slice(0, 60).map(([, r]) => r) }],
    };
    const inline: PolicyShare = { ...managed, kind: 'inline', name: 'app-inline', proposed: small };
    delete inline.arn;
    const other: PolicyShare = { ...inline, name: 'other', current: managed.proposed };
    expect(policySize(small)).toBeLessThan(10_240);
    expect(() => documentsWithinLimits(inline, [inline, other], 'iam.tf')).toThrow(
      /the share of app-inline is [\d,]+ characters and the role's other inline policies [\d,]+, over the 10,240 IAM allows a role's inline policies together; splitting it into several inline policies would not help/,
    );
    expect(documentsWithinLimits(inline, [inline], 'iam.tf')).toEqual([inline.proposed]);
  });

  it('pr writes the split through buildPrPlan', () => {
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ci-deploy-admin', 'expected', 'minimize.json'), 'utf8')) as Omit<
      MinimizePlan,
      'current'
    >;
    const plan: MinimizePlan = { ...fixture, current: [current], policies: [managed] };
    const pr = buildPrPlan({
      plan,
      file: 'iam.tf',
      fileText: TF,
      resource: undefined,
      base: { branch: 'main', commit: 'abc' },
      now: new Date(0),
      version: '0',
    });
    expect(pr.file.after).toContain('resource "aws_iam_policy" "data_part2"');
    expect(pr.commitMessage).toContain('split for IAM');
    expect(() =>
      buildPrPlan({
        plan,
        file: 'p.json',
        fileText: `${JSON.stringify(current, null, 2)}\n`,
        resource: undefined,
        base: { branch: 'main', commit: 'abc' },
        now: new Date(0),
        version: '0',
      }),
    ).toThrow(/a JSON policy file holds one document/);
  });
});

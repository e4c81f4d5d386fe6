/**
 * `--format terraform` and `--format cloudformation` round trips: the output, parsed back by a
 * real HCL parser (@cdktf/hcl2json) or YAML parser, must be the policy JSON we started from.
 */
import { parse as parseHcl } from '@cdktf/hcl2json';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { PolicyDocument } from '../src/model.js';
import { renderCloudFormation } from '../src/render/cloudformation.js';
import { renderTerraform, terraformNames, type PolicyPlan } from '../src/render/terraform.js';
import { MINIMIZE_FORMATS } from '../src/render/registry.js';
import { listForm, policyCorpus, policyFromHcl } from './terraform-policy-corpus.js';

type Json = Parameters<typeof policyFromHcl>[0][string];

function planOf(name: string, docs: PolicyDocument[]): PolicyPlan {
  return {
    role: `arn:aws:iam::123456789012:role/${name}`,
    roleName: name,
    window: { start: '2026-01-01T00:00:00Z', end: '2026-01-31T00:00:00Z' },
    proposed: docs,
  };
}

async function terraformRoundTrip(plan: PolicyPlan): Promise<PolicyDocument[]> {
  const hcl = renderTerraform(plan);
  const parsed = (await parseHcl('policy.tf', hcl)) as { data?: { aws_iam_policy_document?: Record<string, Array<Record<string, Json>>> } };
  const blocks = parsed.data?.aws_iam_policy_document ?? {};
  return terraformNames(plan).map((name) => {
    const body = blocks[name]?.[0];
    if (body === undefined) throw new Error(`block ${name} missing from:\n${hcl}`);
    return policyFromHcl(body);
  });
}

const { realWorld, proposed } = policyCorpus();

describe('terraform renderer', () => {
  it('is registered as a --format choice with cloudformation', () => {
    expect(MINIMIZE_FORMATS).toEqual(expect.arrayContaining(['terraform', 'cloudformation']));
  });

  it('has a real-world corpus with NotAction, conditions, principals and policy variables', () => {
    const text = JSON.stringify(realWorld.map((e) => e.doc));
    expect(realWorld.length).toBeGreaterThan(150);
    for (const feature of ['"NotAction"', '"Condition"', '"Principal"', '${aws:']) expect(text).toContain(feature);
  });

  it('round-trips every real-world policy to the same IAM meaning (lists as lists)', async () => {
    // 40 policies per file keeps the parser's WASM calls few; every policy is covered.
    for (let i = 0; i < realWorld.length; i += 40) {
      const chunk = realWorld.slice(i, i + 40);
      const plan = planOf(
        'corpus',
        chunk.map((e) => e.doc),
      );
      const back = await terraformRoundTrip(plan);
      chunk.forEach((entry, j) => expect(listForm(back[j] as PolicyDocument), entry.name).toEqual(listForm(entry.doc)));
    }
  });

  it('round-trips every golden scenario proposal byte-for-byte in JSON', async () => {
    for (const entry of proposed) {
      const [back] = await terraformRoundTrip(planOf('scenario', [entry.doc]));
      expect(JSON.stringify(back), entry.name).toEqual(JSON.stringify(entry.doc));
    }
  });

  it('round-trips canonical proposals exactly, including collapsed single values', async () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AllowS3', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/${aws:username}/*' },
        {
          Effect: 'Deny',
          NotAction: 'iam:*',
          NotResource: ['arn:aws:iam::*:role/x', 'arn:aws:iam::*:role/y'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringLike: { 's3:prefix': ['a/', '${aws:userid}/'] } },
        },
      ],
    };
    const [back] = await terraformRoundTrip(planOf('app-api', [doc]));
    expect(back).toEqual(doc);
  });

  it('writes the converter layout: aligned attributes, &{} variables, one block per split policy', () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'A', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}' }],
    };
    const out = renderTerraform(planOf('app.api', [doc, doc]));
    expect(out).toContain('data "aws_iam_policy_document" "app_api_1" {');
    expect(out).toContain('data "aws_iam_policy_document" "app_api_2" {');
    expect(out).toContain('    sid       = "A"\n    effect    = "Allow"\n    actions   = ["s3:GetObject"]\n');
    expect(out).toContain('resources = ["arn:aws:s3:::b/&{aws:username}"]');
    expect(out).not.toContain('${');
  });

  it('round-trips arbitrary strings: quotes, backslashes, newlines, ${ and %{ sequences', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\t', '$', '{', '}', '%', '&', '*', ':', 'é'), maxLength: 16 });
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 3 }), text, async (resources, sid) => {
        // `&{` is the provider's own escape for `${`, so a literal `&{` cannot be expressed.
        fc.pre(![...resources, sid].some((s) => s.includes('&{')));
        const doc: PolicyDocument = { Statement: [{ Sid: sid, Effect: 'Allow', Action: 's3:GetObject', Resource: resources }] };
        const [back] = await terraformRoundTrip(planOf('prop', [doc]));
        expect(listForm(back as PolicyDocument)).toEqual(listForm(doc));
      }),
      { numRuns: 60 },
    );
  });
});

describe('cloudformation renderer', () => {
  it('parses back to the same policy documents as AWS::IAM::ManagedPolicy resources', () => {
    const docs = [...realWorld, ...proposed].map((e) => e.doc);
    const out = renderCloudFormation(planOf('app-api', docs));
    const parsed = parseYaml(out) as { Resources: Record<string, { Type: string; Properties: { PolicyDocument: unknown; Roles: string[] } }> };
    const resources = Object.entries(parsed.Resources);
    expect(resources).toHaveLength(docs.length);
    expect(resources[0]?.[0]).toBe('AppApiLeastPrivilegePolicy1');
    resources.forEach(([, r], i) => {
      expect(r.Type).toBe('AWS::IAM::ManagedPolicy');
      expect(r.Properties.Roles).toEqual(['app-api']);
      expect(r.Properties.PolicyDocument).toEqual(docs[i]);
    });
  });
});

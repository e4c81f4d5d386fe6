/**
 * The policy rewrite: the new policy lands in the right span (checked by parsing the result with a
 * real HCL parser) and every byte outside that span is unchanged.
 */
import { parse as parseHcl } from '@cdktf/hcl2json';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../src/model.js';
import { rewritePolicyFile } from '../src/pr/rewrite.js';
import { policyFromHcl } from './terraform-policy-corpus.js';

type Json = Parameters<typeof policyFromHcl>[0][string];
const MAIN_TF = readFileSync(join(import.meta.dirname, 'pr-files', 'main.tf'), 'utf8');

const doc: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AllowS3ab12cd34', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-data/${aws:username}/*' },
    {
      Sid: 'AllowSqs',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    },
  ],
};

/** The changed region of `after` relative to `before`: [start, endBefore) in before. */
function changedRegion(before: string, after: string): { start: number; endBefore: number } {
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  let suffix = 0;
  while (suffix < before.length - start && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  return { start, endBefore: before.length - suffix };
}

async function parsed(text: string): Promise<Record<string, Record<string, Record<string, Array<Record<string, Json>>>>>> {
  return (await parseHcl('main.tf', text)) as Record<string, Record<string, Record<string, Array<Record<string, Json>>>>>;
}

/** `jsonencode({...})` argument, evaluated by the real parser as a local value. */
async function jsonencodeArgument(text: string, resource: string): Promise<unknown> {
  const start = text.indexOf(`resource "aws_iam_policy" "${resource}"`);
  const open = text.indexOf('jsonencode(', start) + 'jsonencode('.length;
  const close = text.indexOf('\n  })', open) + 4;
  const value = ((await parseHcl('x.tf', `locals {\n  p = ${text.slice(open, close)}\n}\n`)) as { locals: Array<{ p: unknown }> }).locals[0]?.p;
  return JSON.parse(JSON.stringify(value).replace(/\$\$\{/g, '${'));
}

describe('rewritePolicyFile', () => {
  it('replaces only the statements of an aws_iam_policy_document data source', async () => {
    const out = rewritePolicyFile('main.tf', MAIN_TF, doc, 'data.aws_iam_policy_document.app');
    expect(out.target).toBe('data.aws_iam_policy_document.app');
    const region = changedRegion(MAIN_TF, out.content);
    const blockStart = MAIN_TF.indexOf('data "aws_iam_policy_document" "app"');
    expect(region.start).toBeGreaterThan(blockStart);
    expect(region.endBefore).toBeLessThan(MAIN_TF.indexOf('resource "aws_iam_policy" "app"'));
    // from `version` to the last statement is the policy: comments inside it described the old one
    expect(out.content).toContain(
      'data "aws_iam_policy_document" "app" {\n  version = "2012-10-17"\n\n  statement {\n    sid    = "AllowS3ab12cd34"\n    effect = "Allow"\n    actions = [',
    );
    expect(out.content).not.toContain('the wildcard grant');
    const before = await parsed(MAIN_TF);
    const after = await parsed(out.content);
    expect(policyFromHcl(after['data']?.['aws_iam_policy_document']?.['app']?.[0] ?? {})).toEqual(doc);
    // everything else parses to the same values
    expect(after['resource']).toEqual(before['resource']);
    expect(after['data']?.['aws_iam_policy_document']?.['assume']).toEqual(before['data']?.['aws_iam_policy_document']?.['assume']);
  });

  it('follows policy = data.aws_iam_policy_document.X.json to the data source', () => {
    const viaResource = rewritePolicyFile('main.tf', MAIN_TF, doc, 'module.iam.aws_iam_policy.app');
    expect(viaResource.content).toBe(rewritePolicyFile('main.tf', MAIN_TF, doc, 'data.aws_iam_policy_document.app').content);
  });

  it('rewrites a jsonencode({...}) attribute, keeping comments and attributes around it', async () => {
    const out = rewritePolicyFile('main.tf', MAIN_TF, doc, 'aws_iam_policy.encoded');
    expect(await jsonencodeArgument(out.content, 'encoded')).toEqual(doc);
    expect(out.content).toContain('  }) # keep me\n  tags = { team = "platform" }\n');
    expect(out.content).toContain('Resource = "arn:aws:s3:::acme-data/$${aws:username}/*"');
    const region = changedRegion(MAIN_TF, out.content);
    expect(region.start).toBeGreaterThan(MAIN_TF.indexOf('policy = jsonencode({'));
    expect(region.endBefore).toBeLessThanOrEqual(MAIN_TF.indexOf('}) # keep me'));
  });

  it('rewrites a <<-EOF heredoc with JSON, escaping policy variables and keeping the markers', async () => {
    const out = rewritePolicyFile('main.tf', MAIN_TF, doc, 'aws_iam_role_policy.legacy');
    const policy = (await parsed(out.content))['resource']?.['aws_iam_role_policy']?.['legacy']?.[0]?.['policy'];
    expect(JSON.parse(String(policy).replace(/\$\$\{/g, '${'))).toEqual(doc);
    expect(out.content).toContain('  policy = <<-EOF\n    {\n      "Version": "2012-10-17",');
    expect(out.content).toContain('    }\n    EOF\n}\n');
  });

  it('asks for --resource when a file holds several policies, and names them', () => {
    // The trust policy `assume` (it has principals) is not a candidate (F5).
    expect(() => rewritePolicyFile('main.tf', MAIN_TF, doc, undefined)).toThrow(/defines 3 policies/);
    try {
      rewritePolicyFile('main.tf', MAIN_TF, doc, undefined);
    } catch (error) {
      expect((error as { hint?: string }).hint).not.toContain('assume');
    }
    try {
      rewritePolicyFile('main.tf', MAIN_TF, doc, 'aws_iam_policy.missing');
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain('data.aws_iam_policy_document.app, aws_iam_policy.app');
    }
  });

  it('finds the policy in a module file with for expressions, templates, heredocs and dynamic blocks', async () => {
    const text = readFileSync(join(import.meta.dirname, 'pr-files', 'module.tf'), 'utf8');
    const out = rewritePolicyFile('module.tf', text, doc, undefined);
    expect(out.target).toBe('data.aws_iam_policy_document.worker');
    const region = changedRegion(text, out.content);
    expect(region.start).toBeGreaterThan(text.indexOf('/* meta-argument kept */'));
    expect(region.endBefore).toBeLessThan(text.indexOf('resource "aws_iam_role_policy" "worker"'));
    expect(out.content.endsWith(text.slice(text.indexOf('resource "aws_iam_role_policy" "worker"')))).toBe(true);
    expect(out.content).not.toContain('"sqs:*"');
    expect(out.content).toContain('  count = var.enabled ? 1 : 0 /* meta-argument kept */\n\n  version = "2012-10-17"\n\n  statement {\n    sid ');
    const before = await parsed(text);
    const after = await parsed(out.content);
    expect(policyFromHcl(after['data']?.['aws_iam_policy_document']?.['worker']?.[0] ?? {})).toEqual(doc);
    expect(after['resource']).toEqual(before['resource']);
    expect(after['locals']).toEqual(before['locals']);
  });

  it('refuses a data source that merges other documents', () => {
    const merged =
      'data "aws_iam_policy_document" "m" {\n  source_policy_documents = [data.aws_iam_policy_document.a.json]\n  statement {\n    actions = ["s3:*"]\n    resources = ["*"]\n  }\n}\n';
    expect(() => rewritePolicyFile('m.tf', merged, doc, undefined)).toThrow(/other documents/);
  });

  it('rewrites a JSON policy file keeping its indentation', () => {
    const original = readFileSync(join(import.meta.dirname, 'pr-files', 'policy.json'), 'utf8');
    const out = rewritePolicyFile('policy.json', original, doc, undefined);
    expect(JSON.parse(out.content)).toEqual(doc);
    expect(out.content).toMatch(/^\{\n {4}"Version"/);
    expect(out.content.endsWith('}\n')).toBe(true);
  });
});

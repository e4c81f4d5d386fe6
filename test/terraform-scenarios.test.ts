/**
 * `iamtrim minimize --format terraform|cloudformation` through the real CLI on every golden
 * scenario: the HCL parses back (real parser) to exactly the scenario's expected proposed JSON.
 */
import { parse as parseHcl } from '@cdktf/hcl2json';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { PolicyDocument } from '../src/model.js';
import { runCli } from './helpers/run-cli.js';
import { policyFromHcl } from './terraform-policy-corpus.js';

type Json = Parameters<typeof policyFromHcl>[0][string];
const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const scenarios = readdirSync(FIXTURES)
  .filter((s) => existsSync(join(FIXTURES, s, 'expected', 'minimize.json')) && existsSync(join(FIXTURES, s, 'args.json')))
  .sort();

function argsOf(scenario: string, format: string): string[] {
  const a = JSON.parse(readFileSync(join(FIXTURES, scenario, 'args.json'), 'utf8')) as { role: string; end: string; days: number; flags: string[] };
  const dir = join(FIXTURES, scenario);
  return [
    'minimize',
    '--role',
    a.role,
    '--end',
    a.end,
    '--days',
    String(a.days),
    '--logs',
    join(dir, 'logs'),
    '--iam',
    join(dir, 'iam.json'),
    ...a.flags,
    '--format',
    format,
  ];
}

describe('--format terraform on every golden scenario', () => {
  it('has scenarios to check', () => expect(scenarios.length).toBeGreaterThan(0));

  it.each(scenarios)(
    '%s: terraform and cloudformation parse back to the expected proposed policies',
    async (scenario) => {
      const expected = (JSON.parse(readFileSync(join(FIXTURES, scenario, 'expected', 'minimize.json'), 'utf8')) as { proposed: PolicyDocument[] }).proposed;
      const tf = await runCli(argsOf(scenario, 'terraform'));
      expect(tf.err).toBe('');
      const parsed = (await parseHcl('out.tf', tf.out)) as { data: { aws_iam_policy_document: Record<string, Array<Record<string, Json>>> } };
      const suffix = (name: string): number => Number(/_(\d+)$/.exec(name)?.[1] ?? 0);
      const docs = Object.entries(parsed.data.aws_iam_policy_document)
        .sort(([a], [b]) => suffix(a) - suffix(b))
        .map(([, blocks]) => policyFromHcl(blocks[0] ?? {}));
      expect(docs.map((d) => JSON.stringify(d))).toEqual(expected.map((d) => JSON.stringify(d)));
      const cfn = await runCli(argsOf(scenario, 'cloudformation'));
      const resources = (parseYaml(cfn.out) as { Resources: Record<string, { Properties: { PolicyDocument: unknown } }> }).Resources;
      expect(Object.values(resources).map((r) => r.Properties.PolicyDocument)).toEqual(expected);
    },
    60_000,
  );
});

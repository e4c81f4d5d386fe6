/**
 * CloudFormation reads templates with YAML 1.1 rules, under which an unquoted 2012-10-17 is a
 * date, yes/on are booleans, 0777 is an octal number and 12:30 is sexagesimal 750 (issue 22, D10).
 * The renderer's output, read back with YAML 1.1 semantics, must give the same strings.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderCloudFormation } from '../src/render/cloudformation.js';
import type { PolicyDocument } from '../src/model.js';
import { runBuilt, ROOT_DIR } from './helpers/built-cli.js';
import { runCli } from './helpers/run-cli.js';
import { join } from 'node:path';

/** Values that YAML 1.1 would read as something other than the string, were they left unquoted. */
const MISREAD = ['2012-10-17', 'yes', 'No', 'on', 'OFF', 'y', '0777', '0x1F', '1e3', '12:30', '~', 'null', '.inf', '1_000'];

function readBack(text: string): Record<string, { Properties: { PolicyDocument: PolicyDocument } }> {
  return (parse(text, { version: '1.1' }) as { Resources: Record<string, { Properties: { PolicyDocument: PolicyDocument } }> }).Resources;
}

describe('--format cloudformation under YAML 1.1', () => {
  it('quotes every value YAML 1.1 would misread; reading it back gives the same document', () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Tricky',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: MISREAD.map((v) => `arn:aws:s3:::bucket/${v}`),
          Condition: { StringEquals: { 's3:prefix': MISREAD } },
        },
      ],
    };
    const text = renderCloudFormation({
      role: 'arn:aws:iam::123456789012:role/app',
      roleName: 'app',
      window: { start: '2026-01-01T00:00:00Z', end: '2026-01-31T00:00:00Z' },
      proposed: [doc],
    });
    expect(text).toMatch(/Version: ["']2012-10-17["']/);
    const [resource] = Object.values(readBack(text));
    expect(resource?.Properties.PolicyDocument).toEqual(doc);
  });

  it('the built CLI output parses (YAML 1.1) to the same policy documents as --format json', async () => {
    const FIXTURE = join(ROOT_DIR, 'fixtures', 'lambda-s3-dynamodb');
    const args = ['minimize', '--role', 'orders-api', '--end', '2026-10-22T00:00:00Z', '--logs', join(FIXTURE, 'logs'), '--iam', join(FIXTURE, 'iam.json')];
    const yaml = runBuilt([...args, '--format', 'cloudformation']);
    // The reference documents: the same run as JSON, in-process (the same main).
    const json = await runCli([...args, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(yaml.code).toBe(0);
    const proposed = (JSON.parse(json.out) as { proposed: PolicyDocument[] }).proposed;
    const docs = Object.values(readBack(yaml.out)).map((r) => r.Properties.PolicyDocument);
    expect(docs).toEqual(proposed);
    expect(typeof docs[0]?.Version).toBe('string');
  });
});

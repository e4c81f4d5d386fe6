/**
 * SAM template rewrite: only the function's `Policies:` block changes; every other byte (comments,
 * order, quoting, `!Ref` / `!Sub` / `!GetAtt`) stays as it was.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMap, parseDocument } from 'yaml';
import { InputError } from '../src/errors.js';
import { rewriteSamPolicies } from '../src/pr/sam-rewrite.js';

const TEMPLATE = readFileSync('test/sam-fixtures/template.yaml', 'utf8');
const NEW_BLOCK = [
  'Policies:',
  '  - KMSDecryptPolicy:',
  '      KeyId: 0f3c2a5e-7b1d-4c8e-9a62-5d4e3f2a1b0c',
  '  - Version: \'2012-10-17\'',
  '    Statement:',
  '      - Sid: AllowDynamodb1',
  '        Effect: Allow',
  '        Action: dynamodb:GetItem',
  '        Resource: arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
  '',
].join('\n');

/** The function's `Policies` value after a rewrite, as plain data (intrinsic tags kept as their values). */
function policiesOf(text: string, id: string): unknown {
  const doc = parseDocument(text);
  expect(doc.errors).toEqual([]);
  const js: unknown = doc.toJS();
  if (typeof js !== 'object' || js === null || !('Resources' in js)) throw new Error('no Resources');
  const resources = js.Resources;
  if (typeof resources !== 'object' || resources === null || !(id in resources)) throw new Error(`no ${id}`);
  const fn: unknown = Object.entries(resources).find(([k]) => k === id)?.[1];
  if (typeof fn !== 'object' || fn === null || !('Properties' in fn)) throw new Error('no Properties');
  const props = fn.Properties;
  return typeof props === 'object' && props !== null && 'Policies' in props ? props.Policies : undefined;
}

/** Lines of `after` that are not in `before`, and vice versa (a multiset line diff). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const count = (lines: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const a = count(before.split('\n'));
  const b = count(after.split('\n'));
  const removed = [...a].flatMap(([l, n]) => Array<string>(Math.max(0, n - (b.get(l) ?? 0))).fill(l));
  const added = [...b].flatMap(([l, n]) => Array<string>(Math.max(0, n - (a.get(l) ?? 0))).fill(l));
  return { removed, added };
}

describe('rewriteSamPolicies', () => {
  it('replaces an existing Policies block and keeps every other byte', () => {
    const after = rewriteSamPolicies(TEMPLATE, 'OrdersApiFunction', NEW_BLOCK);
    const start = TEMPLATE.indexOf('      Policies:\n        # seed-era');
    const oldEnd = TEMPLATE.indexOf('      Events:');
    expect(start).toBeGreaterThan(0);
    // Everything before and after the old block is byte-identical.
    expect(after.slice(0, start)).toBe(TEMPLATE.slice(0, start));
    expect(after.endsWith(TEMPLATE.slice(oldEnd))).toBe(true);
    const newBlock = after.slice(start, after.length - (TEMPLATE.length - oldEnd));
    expect(newBlock).toBe(`${NEW_BLOCK.replace(/^(?=.)/gm, '      ')}`);
    expect(policiesOf(after, 'OrdersApiFunction')).toEqual([
      { KMSDecryptPolicy: { KeyId: '0f3c2a5e-7b1d-4c8e-9a62-5d4e3f2a1b0c' } },
      { Version: '2012-10-17', Statement: [{ Sid: 'AllowDynamodb1', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders' }] },
    ]);
  });

  it('keeps intrinsic functions and comments elsewhere', () => {
    const after = rewriteSamPolicies(TEMPLATE, 'OrdersApiFunction', NEW_BLOCK);
    const { removed } = changedLines(TEMPLATE, after);
    for (const line of removed) expect(line.trim() === '' || TEMPLATE.indexOf(line) > TEMPLATE.indexOf('      Policies:')).toBe(true);
    for (const kept of ['# Shared settings for every function', 'TABLE: !Ref OrdersTable', "!Sub 'https://${ServerlessRestApi}", 'SECRET: !GetAtt DbSecret.Arn', '# on demand', '# the public API'])
      expect(after).toContain(kept);
  });

  it('adds Policies to a function that has none, as its last property', () => {
    const after = rewriteSamPolicies(TEMPLATE, 'OrdersWebhookFunction', NEW_BLOCK);
    const { removed, added } = changedLines(TEMPLATE, after);
    expect(removed).toEqual([]);
    expect(added.filter((l) => l !== '')).toEqual(NEW_BLOCK.split('\n').filter((l) => l !== '').map((l) => `      ${l}`));
    expect(policiesOf(after, 'OrdersWebhookFunction')).toHaveLength(2);
    const doc = parseDocument(after);
    expect(isMap(doc.contents)).toBe(true);
    expect(JSON.stringify(doc.getIn(['Resources', 'OrdersWebhookFunction', 'Properties', 'Environment']))).toContain('DbSecret.Arn');
  });

  it('accepts the bare sequence as well as the Policies: block', () => {
    const bare = NEW_BLOCK.split('\n').slice(1).map((l) => l.replace(/^ {2}/, '')).join('\n');
    expect(rewriteSamPolicies(TEMPLATE, 'OrdersApiFunction', bare)).toBe(rewriteSamPolicies(TEMPLATE, 'OrdersApiFunction', NEW_BLOCK));
  });

  it('is idempotent: rewriting with the same block again changes nothing', () => {
    const once = rewriteSamPolicies(TEMPLATE, 'OrdersApiFunction', NEW_BLOCK);
    expect(rewriteSamPolicies(once, 'OrdersApiFunction', NEW_BLOCK)).toBe(once);
  });

  it('keeps CRLF line endings in a CRLF template', () => {
    const crlf = TEMPLATE.replace(/\n/g, '\r\n');
    for (const id of ['OrdersApiFunction', 'OrdersWebhookFunction']) {
      const after = rewriteSamPolicies(crlf, id, NEW_BLOCK);
      expect(after.replace(/\r\n/g, '')).not.toContain('\n');
      expect(after.replace(/\r\n/g, '\n')).toBe(rewriteSamPolicies(TEMPLATE, id, NEW_BLOCK));
    }
  });

  it('refuses functions that set Role, resources that are not functions, and unknown ids', () => {
    expect(() => rewriteSamPolicies(TEMPLATE, 'LegacyFunction', NEW_BLOCK)).toThrow(/sets Role/);
    expect(() => rewriteSamPolicies(TEMPLATE, 'OrdersTable', NEW_BLOCK)).toThrow(/not AWS::Serverless::Function/);
    expect(() => rewriteSamPolicies(TEMPLATE, 'Nope', NEW_BLOCK)).toThrow(InputError);
    expect(() => rewriteSamPolicies('a: [1,', 'X', NEW_BLOCK)).toThrow(/not valid YAML/);
  });
});

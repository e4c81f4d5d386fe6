/**
 * Reads the policy document a file holds at the place `pr` would rewrite, so `pr` can prove the
 * file is one of the role's policies before writing anything: a JSON policy file, or in a `.tf`
 * file an `aws_iam_policy_document` data source or the `policy` of an `aws_iam_*policy` resource
 * (`jsonencode`, heredoc, string, data-source reference). Terraform expressions are not evaluated:
 * they stay marked (see hcl-value.ts) and match any text.
 */
import { InputError, UsageError } from '../errors.js';
import type { ConditionBlock, ConditionValue, PolicyDocument, Statement } from '../model.js';
import { heredocAt, heredocEnd, lineOf, matchClose, scanItems, type HclBlock } from './hcl-locate.js';
import { expressionMark, readHclValue, type HclPlain } from './hcl-value.js';
import { addressOf, locateTerraformPolicy, policyAttribute } from './rewrite.js';

export interface PolicyRead {
  document: PolicyDocument;
  /** Strings of `document` holding an expression -> their exact source text. */
  expressions: Map<string, string>;
  /** What was read: `data.aws_iam_policy_document.app`, or the file. */
  target: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed JSON-shaped value -> a policy document, or a one-line refusal naming `where`. */
function asDocument(value: unknown, where: string): PolicyDocument {
  if (!isRecord(value) || value['Statement'] === undefined) throw new InputError(`${where}: holds no policy document (no "Statement")`);
  const raw = value['Statement'];
  const statements = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  if (!statements.every((s) => isRecord(s) && (s['Effect'] === 'Allow' || s['Effect'] === 'Deny'))) {
    throw new InputError(`${where}: a statement has no literal Effect "Allow" or "Deny"; iamtrim cannot tell what it grants`);
  }
  return { ...(typeof value['Version'] === 'string' ? { Version: value['Version'] } : {}), Statement: statements as Statement[] };
}

export function readPolicyFile(file: string, text: string, resource: string | undefined, options: { template?: boolean } = {}): PolicyRead {
  if (options.template === true) return { ...readJsonTemplate(file, text), target: file };
  if (file.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${file}: not valid JSON (${(error as Error).message})`);
    }
    const inner = isRecord(value) && !('Statement' in value) && isRecord(value['PolicyDocument']) ? value['PolicyDocument'] : value;
    return { document: asDocument(inner, file), expressions: new Map(), target: file };
  }
  if (!file.endsWith('.tf')) throw new UsageError(`--file ${file}: expected a policy .json file or a Terraform .tf file`);
  const { block, blocks } = locateTerraformPolicy(file, text, resource);
  return readTerraformBlock(file, text, block, blocks);
}

function readTerraformBlock(file: string, text: string, block: HclBlock, blocks: HclBlock[]): PolicyRead {
  const where = `${file}:${lineOf(text, block.start)} ${addressOf(block)}`;
  if (block.type === 'data') return { ...readDocumentData(file, text, block), target: addressOf(block) };
  const { attribute, value, document } = policyAttribute(where, file, text, block, blocks);
  if (document !== undefined) return { ...readDocumentData(file, text, document), target: addressOf(block) };
  if (value.startsWith('jsonencode(') && value.endsWith(')')) {
    const open = attribute.valueStart + 'jsonencode'.length;
    const close = matchClose({ file, text }, open);
    const read = readHclValue(file, text, open + 1, close);
    return { document: asDocument(read.value, where), expressions: read.expressions, target: addressOf(block) };
  }
  if (value.startsWith('<<') && heredocAt(text, attribute.valueStart) !== undefined) {
    const heredoc = heredocAt(text, attribute.valueStart);
    const { terminatorStart } = heredocEnd({ file, text }, attribute.valueStart);
    return { ...readJsonTemplate(where, text.slice(heredoc?.contentStart ?? 0, terminatorStart)), target: addressOf(block) };
  }
  if (value.startsWith('"')) {
    const read = readHclValue(file, text, attribute.valueStart, attribute.valueEnd);
    if (typeof read.value !== 'string' || read.expressions.size > 0) {
      throw new InputError(`${where}: policy is a string with interpolations; iamtrim rewrites it as jsonencode(...) and would lose them`, {
        hint: 'write the policy as jsonencode({...}) or a heredoc first',
      });
    }
    return { ...readJsonTemplate(where, read.value), target: addressOf(block) };
  }
  throw new InputError(`${where}: policy = ${value.split('\n')[0] ?? ''} is an expression iamtrim cannot read, so it cannot prove this is the role's policy`, {
    hint: 'iamtrim reads jsonencode({...}), heredocs, strings and aws_iam_policy_document data sources; for file("x.json") pass --file x.json',
  });
}

/**
 * JSON text with Terraform template interpolations (a heredoc): each `${...}` becomes a mark so the
 * text parses; the JSON string holding it maps back to its source text. `$${` is a literal `${`.
 */
function readJsonTemplate(where: string, body: string): Omit<PolicyRead, 'target'> {
  if (/(?<!%)%\{/.test(body)) {
    throw new InputError(`${where}: the template uses directives (%{ if }, %{ for }); iamtrim cannot rewrite it without changing what it renders`, {
      hint: 'edit it by hand from iamtrim minimize --format json (policies[]), or render the directive out first',
    });
  }
  const expressions = new Map<string, string>();
  let marks = 0;
  let json = '';
  let i = 0;
  while (i < body.length) {
    if (body.startsWith('$${', i) || body.startsWith('%%{', i)) {
      json += `${body[i] ?? ''}{`;
      i += 3;
    } else if ((body[i] === '$' || body[i] === '%') && body[i + 1] === '{') {
      const close = matchClose({ file: where, text: body }, i + 1);
      json += expressionMark(marks++);
      i = close + 1;
    } else {
      json += body[i] ?? '';
      i++;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InputError(`${where}: the policy is not valid JSON (${(error as Error).message})`);
  }
  // Source text of each JSON string holding a mark: found in the same order in the original body.
  const sources = [...body.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => m[0]).filter((s) => /(?<![$%])[$%]\{/.test(s));
  const marked = [...json.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => m[0]).filter((s) => s.includes('\uE000'));
  marked.forEach((m, n) => {
    const source = sources[n];
    if (source !== undefined) expressions.set(JSON.parse(m) as string, source);
  });
  return { document: asDocument(value, where), expressions };
}

const STATEMENT_KEYS: Record<string, keyof Statement> = {
  sid: 'Sid',
  effect: 'Effect',
  actions: 'Action',
  not_actions: 'NotAction',
  resources: 'Resource',
  not_resources: 'NotResource',
};

/** `data "aws_iam_policy_document"`: statement blocks with their lists and condition blocks. */
function readDocumentData(file: string, text: string, block: HclBlock): Omit<PolicyRead, 'target'> {
  const where = `${file}:${lineOf(text, block.start)} ${addressOf(block)}`;
  const expressions = new Map<string, string>();
  const read = (start: number, end: number): HclPlain => {
    const r = readHclValue(file, text, start, end, true);
    for (const [k, v] of r.expressions) expressions.set(k, v);
    return r.value;
  };
  const items = scanItems(file, text, block.bodyStart, block.bodyEnd);
  const doc: PolicyDocument = { Statement: [] };
  for (const item of items) {
    if (item.kind === 'attribute' && item.name === 'version') {
      const v = read(item.valueStart, item.valueEnd);
      if (typeof v === 'string') doc.Version = v;
    }
    if (item.kind === 'block' && item.type === 'dynamic') throw new InputError(`${where}: builds its statements with dynamic blocks; iamtrim cannot read them`);
    if (item.kind === 'attribute' && /^(source|override)_(policy_documents|json)$/.test(item.name)) {
      throw new InputError(`${where}: builds its policy from other documents (${item.name}); iamtrim cannot read that`);
    }
    if (item.kind !== 'block' || item.type !== 'statement') continue;
    const statement: Record<string, unknown> = { Effect: 'Allow' };
    const condition: ConditionBlock = {};
    for (const part of scanItems(file, text, item.bodyStart, item.bodyEnd)) {
      if (part.kind === 'attribute') {
        const key = STATEMENT_KEYS[part.name];
        if (key !== undefined) statement[key] = read(part.valueStart, part.valueEnd);
        continue;
      }
      if (part.type === 'principals' || part.type === 'not_principals') {
        throw new InputError(`${where}: has principals, so it is a trust or resource policy, not the role's identity policy`);
      }
      if (part.type !== 'condition') continue;
      const fields: Record<string, HclPlain> = {};
      for (const f of scanItems(file, text, part.bodyStart, part.bodyEnd)) if (f.kind === 'attribute') fields[f.name] = read(f.valueStart, f.valueEnd);
      const test = fields['test'];
      const variable = fields['variable'];
      if (typeof test !== 'string' || typeof variable !== 'string') throw new InputError(`${where}: a condition block has no literal test/variable`);
      condition[test] = { ...(condition[test] ?? {}), [variable]: fields['values'] as ConditionValue };
    }
    if (Object.keys(condition).length > 0) statement['Condition'] = condition;
    if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny')
      throw new InputError(`${where}: a statement's effect is not a literal "Allow" or "Deny"`);
    doc.Statement.push(statement as unknown as Statement);
  }
  return { document: doc, expressions };
}

/**
 * Rewrites a policy where it lives, as a pure function of the file's text: a JSON policy file, or
 * in a Terraform file an `aws_iam_policy_document` data source or the `policy` attribute
 * (`jsonencode({...})`, heredoc, string, or a reference to a data source in the same file) of an
 * `aws_iam_policy` / `aws_iam_*_policy` resource. Only the policy's span changes; every other byte
 * of the file stays as it was, so the pull request diff shows the policy and nothing else.
 */
import { InputError, UsageError } from '../errors.js';
import type { PolicyDocument, Statement } from '../model.js';
import { json } from '../render/format.js';
import { escapeTemplate, hclValue } from '../render/hcl.js';
import { policyDocumentBody } from '../render/terraform.js';
import { heredocAt, heredocEnd, indentAt, lineOf, scanItems, type HclAttribute, type HclBlock } from './hcl-locate.js';
import { expressionTokens } from './expression-tokens.js';

export interface FileRewrite {
  content: string;
  /** What was rewritten, for the PR body and messages: `data.aws_iam_policy_document.app`. */
  target: string;
}

/** Resource types whose `policy` attribute is an IAM policy JSON string. */
const POLICY_RESOURCES = new Set(['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy']);
/** Arguments of aws_iam_policy_document that the new statements replace; meta-arguments are kept. */
const DOCUMENT_ARGUMENTS = new Set(['statement', 'version', 'policy_id']);
/** `policy = data.aws_iam_policy_document.NAME[0].json`: the policy is that data source. */
const DOCUMENT_REFERENCE = /^data\.aws_iam_policy_document\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?\.(json|minified_json)$/;
const MERGING_ARGUMENTS = new Set(['source_policy_documents', 'override_policy_documents', 'source_json', 'override_json']);

/**
 * `expressions` (literal value -> source text, from matching the file against IAM): where the new
 * document keeps exactly a value an expression stood for, the expression is written back.
 */
export function rewritePolicyFile(
  file: string,
  text: string,
  doc: PolicyDocument,
  resource: string | undefined,
  expressions: ReadonlyMap<string, string> = new Map(),
  options: { template?: boolean } = {},
): FileRewrite {
  if (expressions.size === 0) return rewriteLiteral(file, text, doc, resource, options);
  const tokens = expressionTokens(expressions);
  const token = tokens.token;
  const swap = (v: string | string[] | undefined): string | string[] | undefined =>
    v === undefined ? undefined : Array.isArray(v) ? v.map(token) : token(v as string);
  const statements = doc.Statement.map((s) => {
    const out: Statement = { ...s };
    for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      const value = swap(s[key]);
      if (value !== undefined) out[key] = value;
    }
    return out;
  });
  const rewritten = rewriteLiteral(file, text, { ...doc, Statement: statements }, resource, options);
  return { ...rewritten, content: tokens.restore(rewritten.content, '"') };
}

function rewriteLiteral(file: string, text: string, doc: PolicyDocument, resource: string | undefined, options: { template?: boolean }): FileRewrite {
  if (options.template === true) return rewriteJson(file, text, doc, true);
  if (file.endsWith('.tf')) return rewriteTerraform(file, text, doc, resource);
  if (file.endsWith('.json')) {
    if (resource !== undefined) throw new UsageError(`--resource ${resource}: only for Terraform files, and --file ${file} is JSON`);
    return rewriteJson(file, text, doc);
  }
  throw new UsageError(`--file ${file}: expected a policy .json file or a Terraform .tf file`);
}

/** A policy document file, or an object holding one under `PolicyDocument`; indentation is kept. */
/** `template`: the file is read by Terraform's templatefile(), so a literal `${` is written `$${`. */
function rewriteJson(file: string, text: string, doc: PolicyDocument, template = false): FileRewrite {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const indent = /^\{\s*\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const newline = text.endsWith('\n') ? '\n' : '';
  const format = (v: unknown): string => {
    const out = JSON.stringify(v, null, indent) + newline;
    return template ? escapeTemplate(out) : out;
  };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ('Statement' in record) return { content: format(doc), target: file };
    if (typeof record['PolicyDocument'] === 'object' && record['PolicyDocument'] !== null) {
      return { content: format({ ...record, PolicyDocument: doc }), target: `${file} PolicyDocument` };
    }
  }
  throw new InputError(`${file}: holds no policy document (no top-level "Statement" or "PolicyDocument")`, {
    hint: 'point --file at the policy JSON, or at the Terraform file that defines it',
  });
}

interface Address {
  data: boolean;
  type: string;
  name: string;
}

/** `module.app.aws_iam_policy.api[0]` -> the block in this file: modules are the file you point at. */
function parseAddress(address: string): Address {
  const parts = address.replace(/\[[^\]]*\]/g, '').split('.');
  while (parts[0] === 'module' && parts.length > 2) parts.splice(0, 2);
  const data = parts[0] === 'data';
  if (data) parts.shift();
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) {
    throw new UsageError(`--resource ${address}: expected a Terraform address such as aws_iam_policy.app or data.aws_iam_policy_document.app`);
  }
  return { data, type: parts[0], name: parts[1] };
}

export function addressOf(b: HclBlock): string {
  return `${b.type === 'data' ? 'data.' : ''}${b.labels.join('.')}`;
}

function isCandidate(b: HclBlock): boolean {
  return (b.type === 'data' && b.labels[0] === 'aws_iam_policy_document') || (b.type === 'resource' && POLICY_RESOURCES.has(b.labels[0] ?? ''));
}

function rewriteTerraform(file: string, text: string, doc: PolicyDocument, resource: string | undefined): FileRewrite {
  const { block, blocks } = locateTerraformPolicy(file, text, resource);
  return { content: rewriteBlock(file, text, block, doc, blocks), target: addressOf(block) };
}

/** The policy block `--resource` names (or the file's only one), and every block of the file. */
export function locateTerraformPolicy(file: string, text: string, resource: string | undefined): { block: HclBlock; blocks: HclBlock[] } {
  const blocks = scanItems(file, text).filter((i): i is HclBlock => i.kind === 'block');
  let block: HclBlock | undefined;
  if (resource === undefined) {
    // A resource whose policy is a data source in this file is the same policy as that data source.
    const documents = new Set(blocks.filter((b) => b.type === 'data' && b.labels[0] === 'aws_iam_policy_document').map((b) => b.labels[1]));
    // A document with principals is a trust or resource policy, never the role's identity policy.
    const trust = (b: HclBlock): boolean =>
      scanItems(file, text, b.bodyStart, b.bodyEnd).some(
        (i) =>
          i.kind === 'block' &&
          i.type === 'statement' &&
          scanItems(file, text, i.bodyStart, i.bodyEnd).some((p) => p.kind === 'block' && /principals$/.test(p.type)),
      );
    const candidates = blocks.filter(isCandidate).filter((b) => {
      if (b.type === 'data' && trust(b)) return false;
      if (b.type !== 'resource') return true;
      const policy = scanItems(file, text, b.bodyStart, b.bodyEnd).find((i) => i.kind === 'attribute' && i.name === 'policy');
      const reference = policy?.kind === 'attribute' ? DOCUMENT_REFERENCE.exec(text.slice(policy.valueStart, policy.valueEnd)) : null;
      return reference === null || !documents.has(reference[1]);
    });
    if (candidates.length !== 1) {
      throw new UsageError(
        candidates.length === 0
          ? `--file ${file}: no aws_iam_policy_document data source or aws_iam_*policy resource in it`
          : `--file ${file} defines ${candidates.length} policies: pass --resource to choose one`,
        { hint: candidates.length === 0 ? "point --file at the file that defines the role's policy" : `one of: ${candidates.map(addressOf).join(', ')}` },
      );
    }
    block = candidates[0];
  } else {
    const address = parseAddress(resource);
    block = blocks.find((b) => b.type === (address.data ? 'data' : 'resource') && b.labels[0] === address.type && b.labels[1] === address.name);
    if (block === undefined) {
      throw new UsageError(`--resource ${resource}: no such block in ${file}`, {
        hint: `policies found: ${blocks.filter(isCandidate).map(addressOf).join(', ') || 'none'}`,
      });
    }
  }
  if (block === undefined) throw new UsageError(`--file ${file}: no policy found`);
  return { block, blocks };
}

/** A policy kept in another file: `policy = file("x.json")` or `templatefile("x.json", {...})`. */
export interface PolicyFileReference {
  /** The block that reads it, for messages: `aws_iam_role_policy.scale_up`. */
  target: string;
  /** Relative to the repository, like the .tf file: `${path.module}` is the .tf file's folder. */
  path: string;
  /** templatefile(): `${...}` in it are template expressions, `$${` a literal `${`. */
  template: boolean;
}

/** The file a Terraform policy is read from, when its `policy` is file()/templatefile() of a literal path; else undefined. */
export function policyFileReference(file: string, text: string, resource: string | undefined): PolicyFileReference | undefined {
  if (!file.endsWith('.tf')) return undefined;
  const { block, blocks } = locateTerraformPolicy(file, text, resource);
  if (block.type !== 'resource') return undefined;
  const where = `${file}:${lineOf(text, block.start)} ${addressOf(block)}`;
  const { value } = policyAttribute(where, file, text, block, blocks);
  const m = /^(file|templatefile)\(\s*"((?:[^"\\]|\\.)*)"/.exec(value);
  if (m === null) return undefined;
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  const raw = (m[2] ?? '').replace(/\$\{path\.(module|root|cwd)\}/g, folder);
  if (raw.includes('${') || raw.startsWith('/')) {
    throw new InputError(`${where}: reads its policy from ${m[2] ?? ''}, a path iamtrim cannot resolve`, {
      hint: 'point --file at that JSON file (relative to --repo)',
    });
  }
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new InputError(`${where}: reads its policy from outside the repository (${m[2] ?? ''})`);
      parts.pop();
    } else parts.push(part);
  }
  return { target: addressOf(block), path: parts.join('/'), template: m[1] === 'templatefile' };
}

/**
 * The `policy` attribute of a policy resource, its source text, and the data source it names when
 * it is `data.aws_iam_policy_document.X.json` (which must be in the same file).
 */
export function policyAttribute(
  where: string,
  file: string,
  text: string,
  block: HclBlock,
  blocks: readonly HclBlock[],
): { attribute: HclAttribute; value: string; document: HclBlock | undefined } {
  const attribute = scanItems(file, text, block.bodyStart, block.bodyEnd).find((i): i is HclAttribute => i.kind === 'attribute' && i.name === 'policy');
  if (attribute === undefined) throw new InputError(`${where}: has no policy attribute`);
  const value = text.slice(attribute.valueStart, attribute.valueEnd);
  const reference = DOCUMENT_REFERENCE.exec(value);
  if (reference === null) return { attribute, value, document: undefined };
  const document = blocks.find((b) => b.type === 'data' && b.labels[0] === 'aws_iam_policy_document' && b.labels[1] === reference[1]);
  if (document === undefined) {
    throw new InputError(`${where}: its policy is ${value}, which is defined in another file`, {
      hint: `pass the file that defines it with --file and --resource data.aws_iam_policy_document.${reference[1] ?? ''}`,
    });
  }
  return { attribute, value, document };
}

function rewriteBlock(file: string, text: string, block: HclBlock, doc: PolicyDocument, blocks: HclBlock[]): string {
  const where = `${file}:${lineOf(text, block.start)} ${addressOf(block)}`;
  if (block.type === 'data' && block.labels[0] === 'aws_iam_policy_document') return rewriteDocumentData(where, file, text, block, doc);
  if (block.type !== 'resource' || !POLICY_RESOURCES.has(block.labels[0] ?? '')) {
    throw new UsageError(`${where}: not a policy`, { hint: 'name an aws_iam_policy_document data source or an aws_iam_policy / aws_iam_role_policy resource' });
  }
  const { attribute, value, document } = policyAttribute(where, file, text, block, blocks);
  const indent = indentAt(text, attribute.start);
  const replace = (start: number, end: number, replacement: string): string => text.slice(0, start) + replacement + text.slice(end);
  if (document !== undefined) return rewriteDocumentData(where, file, text, document, doc);
  if (value.startsWith('jsonencode(') && value.endsWith(')')) {
    return replace(attribute.valueStart + 'jsonencode('.length, attribute.valueEnd - 1, hclValue(doc, indent));
  }
  if (value.startsWith('<<')) {
    const heredoc = heredocAt(text, attribute.valueStart);
    if (heredoc === undefined) throw new InputError(`${where}: malformed heredoc`);
    const { terminatorStart } = heredocEnd({ file, text }, attribute.valueStart);
    const contentIndent = heredoc.indented ? (/^[ \t]*/.exec(text.slice(heredoc.contentStart))?.[0] ?? '') : '';
    const body = escapeTemplate(json(doc))
      .split('\n')
      .map((line) => (line === '' ? line : contentIndent + line))
      .join('\n');
    return replace(heredoc.contentStart, terminatorStart, body);
  }
  if (value.startsWith('"')) return replace(attribute.valueStart, attribute.valueEnd, `jsonencode(${hclValue(doc, indent)})`);
  throw new InputError(`${where}: policy = ${value.split('\n')[0] ?? ''} is an expression iamtrim cannot rewrite`, {
    hint: 'iamtrim rewrites jsonencode({...}), heredocs, strings and aws_iam_policy_document data sources; for file("x.json") pass --file x.json',
  });
}

function rewriteDocumentData(where: string, file: string, text: string, block: HclBlock, doc: PolicyDocument): string {
  const items = scanItems(file, text, block.bodyStart, block.bodyEnd);
  const merging = items.find((i) => MERGING_ARGUMENTS.has(i.kind === 'attribute' ? i.name : i.type));
  const dynamic = items.find((i) => i.kind === 'block' && i.type === 'dynamic');
  if (merging !== undefined || dynamic !== undefined) {
    throw new InputError(`${where}: builds its policy from ${dynamic !== undefined ? 'dynamic blocks' : 'other documents'}; iamtrim will not flatten that`, {
      hint: 'rewrite the merged documents one by one, or paste `iamtrim minimize --format terraform` by hand',
    });
  }
  const owned = items.filter((i) => DOCUMENT_ARGUMENTS.has(i.kind === 'attribute' ? i.name : i.type));
  const indent = `${indentAt(text, block.start)}  `;
  const body = policyDocumentBody(doc, indent).join('\n').slice(indent.length);
  const first = owned[0];
  const last = owned[owned.length - 1];
  if (first === undefined || last === undefined) {
    return `${text.slice(0, block.bodyStart)}\n${indent}${body}\n${text.slice(block.bodyEnd)}`;
  }
  const between = items.slice(items.indexOf(first), items.indexOf(last) + 1);
  if (between.some((i) => !owned.includes(i))) {
    throw new InputError(`${where}: other arguments sit between its statements`, { hint: 'move meta-arguments (count, provider) above the statements' });
  }
  const end = last.kind === 'block' ? last.bodyEnd + 1 : last.valueEnd;
  return text.slice(0, first.start) + body + text.slice(end);
}

/**
 * Reads the statements of one `serverless.yml` statements list (found by serverless-framework.ts).
 * Nothing is evaluated: Serverless variables (`${self:...}`, `${opt:...}`, `${env:...}`, `${cf:...}`),
 * pseudo-parameters (`#{AWS::Region}`) and CloudFormation intrinsics (`!Sub`, `!GetAtt`, `Ref:`,
 * `Fn::Join`) become expression marks (see hcl-value.ts) that match any text, and each maps back to
 * its source text so the rewrite puts the expression, never a literal ARN, back in place.
 */
import { isAlias, isMap, isNode, isScalar, isSeq, parseDocument, stringify, visit, type Node, type Scalar } from 'yaml';
import { InputError } from '../errors.js';
import type { ConditionBlock, PolicyDocument, Statement } from '../model.js';
import { expressionMark } from './hcl-value.js';
import type { PolicyRead } from './read-policy.js';
import { get, INCLUDE, includePath, literal, type ServerlessList } from './serverless-framework.js';

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
/** Intrinsics that stand for one string: kept as an expression. */
const ONE_VALUE = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::ImportValue', 'Fn::Select', 'Fn::FindInMap', 'Fn::Base64']);
const TAGS = new Set(['!Ref', '!GetAtt', '!Sub', '!Join', '!ImportValue', '!Select', '!FindInMap', '!Base64']);

/** The source text of a node as written (its tag included), on one line. */
function sourceOf(text: string, node: Node): string {
  const [start, end] = node.range ?? [0, 0];
  let from = start;
  if (node.tag !== undefined) {
    const at = text.lastIndexOf(node.tag, start);
    if (at >= 0 && /^\s*$/.test(text.slice(at + node.tag.length, start))) from = at;
  }
  const raw = text.slice(from, end).trimEnd();
  if (!raw.includes('\n')) return raw;
  if (isScalar(node)) return `${node.tag !== undefined ? `${node.tag} ` : ''}${JSON.stringify(String(node.value))}`;
  // A block mapping or list written over several lines: the same expression in flow style.
  const clone = node.clone();
  if (!isNode(clone)) return raw.replace(/\s*\n\s*/g, ' ');
  visit(clone, {
    Map: (_, m) => void (m.flow = true),
    Seq: (_, s) => void (s.flow = true),
  });
  if (isMap(clone) || isSeq(clone)) clone.flow = true;
  return stringify(clone, { lineWidth: 0, version: '1.1' }).trimEnd();
}

/** A statement the list takes whole from another file (`- ${file(../common.yml):xray}`), followed there. */
export interface IncludedStatement {
  /** `file`: an item of the list, `- ${file(path):key}`; `provider`: inherited from the provider's list. */
  from: 'file' | 'provider';
  /** The list item as written: `${file(../../serverless.common.yml):lambdaPolicyXRay}`, or where it is inherited from. */
  source: string;
  /** The file it was followed to, relative to the repository. */
  path: string;
  statement: Statement;
}

/** The statements of a list; `included` are the ones another file holds (also in `document`). */
export type ServerlessRead = PolicyRead & { included: IncludedStatement[] };

interface Reader {
  file: string;
  text: string;
  where: string;
  /** Text of the files `${file(...)}` statements come from, by path relative to the repository. */
  includes: ReadonlyMap<string, string>;
  included: IncludedStatement[];
  expressions: Map<string, string>;
  marks: number;
}

function refuse(r: Reader, node: Node | undefined, what: string): never {
  const line = node?.range !== undefined && node.range !== null ? r.text.slice(0, node.range[0]).split('\n').length : undefined;
  throw new InputError(`${r.file}${line !== undefined ? `:${line}` : ''} ${r.where}: ${what}`, {
    hint: 'inline the statement as literal YAML (variables inside a value are fine), or edit this list by hand from iamtrim minimize --format json (policies[])',
  });
}

/** `${...}` / `#{...}` (balanced, nested) in a string -> marks; `${!x}` in `!Sub` is a literal. */
function markVariables(r: Reader, value: string, sub: boolean): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const open = (value[i] === '$' || value[i] === '#') && value[i + 1] === '{';
    if (!open || (sub && value[i + 2] === '!')) {
      out += value[i] ?? '';
      i++;
      continue;
    }
    let depth = 0;
    let j = i + 1;
    for (; j < value.length; j++) {
      if (value[j] === '{') depth++;
      else if (value[j] === '}' && --depth === 0) break;
    }
    out += expressionMark(r.marks++);
    i = j + 1;
  }
  return out;
}

/** A string value of a statement: literal, a string with variables, or an intrinsic (one mark). */
function readString(r: Reader, node: unknown): string {
  if (isAlias(node) || (node as Node | undefined)?.anchor !== undefined)
    refuse(r, node as Node, 'an anchor or alias inside the statements; iamtrim cannot rewrite them without changing what else refers to them');
  if (isScalar(node) && node.tag === undefined) {
    const value = node.value;
    if (typeof value !== 'string') {
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      refuse(r, node, 'an empty value');
    }
    const read = markVariables(r, value, false);
    if (read !== value) r.expressions.set(read, sourceOf(r.text, node));
    return read;
  }
  if (isScalar(node) && node.tag !== undefined) {
    if (!TAGS.has(node.tag)) refuse(r, node, `${node.tag} may stand for a list or nothing; iamtrim keeps only intrinsics that stand for one string`);
    const read = node.tag === '!Sub' && typeof node.value === 'string' ? markVariables(r, node.value, true) : expressionMark(r.marks++);
    r.expressions.set(read, sourceOf(r.text, node));
    return read;
  }
  const intrinsic = isMap(node) && node.items.length === 1 ? literal(node.items[0]?.key) : undefined;
  if ((isMap(node) || isSeq(node)) && node.tag !== undefined) {
    if (!TAGS.has(node.tag)) refuse(r, node, `${node.tag} may stand for a list or nothing; iamtrim keeps only intrinsics that stand for one string`);
    const read = expressionMark(r.marks++);
    r.expressions.set(read, sourceOf(r.text, node));
    return read;
  }
  if (isMap(node) && intrinsic !== undefined && ONE_VALUE.has(intrinsic)) {
    const inner = node.items[0]?.value;
    const read =
      intrinsic === 'Fn::Sub' && isScalar(inner) && typeof inner.value === 'string' ? markVariables(r, inner.value, true) : expressionMark(r.marks++);
    r.expressions.set(read, sourceOf(r.text, node));
    return read;
  }
  refuse(
    r,
    node as Node,
    intrinsic !== undefined
      ? `${intrinsic} may stand for a list or nothing; iamtrim keeps only intrinsics that stand for one string`
      : 'a mapping or list where a string belongs',
  );
}

function readStrings(r: Reader, node: unknown): string | string[] {
  if (isSeq(node) && node.tag === undefined) {
    if (node.anchor !== undefined) refuse(r, node, 'an anchor inside the statements');
    return node.items.map((item) => readString(r, item));
  }
  return readString(r, node);
}

function readCondition(r: Reader, node: unknown): ConditionBlock {
  if (!isMap(node) || node.tag !== undefined) refuse(r, node as Node, 'a Condition that is not a literal mapping');
  const out: ConditionBlock = {};
  for (const op of node.items) {
    const name = literal(op.key);
    if (name === undefined || !isMap(op.value)) refuse(r, op.value as Node, 'a Condition operator that is not a mapping of keys');
    const block: Record<string, string | string[]> = {};
    for (const entry of op.value.items) {
      const key = literal(entry.key);
      if (key === undefined) refuse(r, entry.value as Node, 'a Condition key that is not a string');
      block[markVariables(r, key, false)] = readStrings(r, entry.value);
    }
    out[name] = block;
  }
  return out;
}

/** `- ${file(path):key}`: the statement in that file, when the repository holds it and it is a plain grant. */
function readIncluded(r: Reader, node: Scalar, source: string, m: RegExpExecArray): Statement {
  const path = includePath(r.file, m[1] ?? '');
  const text = path === undefined ? undefined : r.includes.get(path);
  if (path === undefined || text === undefined) {
    refuse(
      r,
      node,
      `the statement is ${source}, from a file iamtrim cannot follow${path === undefined ? ' (outside the repository)' : ` (${path} is not in the repository)`}`,
    );
  }
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.1' });
  let value: unknown = doc.errors.length > 0 ? undefined : doc.contents;
  for (const key of (m[2] ?? '').split('.')) value = get(value, key)?.value;
  const inner: Reader = { ...r, file: path, text, where: m[2] ?? '', included: [] };
  if (!isMap(value)) refuse(inner, undefined, `not found as a statement (${source} in ${r.file} ${r.where})`);
  const statement = readStatement(inner, value);
  r.marks = inner.marks;
  if (statement.Condition !== undefined || statement.NotAction !== undefined || statement.NotResource !== undefined || statement.Resource === undefined) {
    refuse(r, node, `the statement is ${source}, which has a Condition, NotAction or NotResource; iamtrim keeps such a shared statement only by hand`);
  }
  r.included.push({ from: 'file', source, path, statement });
  return statement;
}

function readStatement(r: Reader, node: unknown): Statement {
  const include = isScalar(node) && typeof node.value === 'string' ? INCLUDE.exec(node.value) : null;
  if (include !== null && isScalar(node)) return readIncluded(r, node, String(node.value), include);
  if (isScalar(node) && typeof node.value === 'string' && /[$#]\{/.test(node.value)) {
    refuse(r, node, `the statement is ${node.value}, a variable that hides a whole statement iamtrim cannot read or prove`);
  }
  if (isAlias(node)) refuse(r, undefined, 'a statement that is an alias (*name); iamtrim cannot rewrite it without changing what else refers to it');
  if (!isMap(node) || node.tag !== undefined) refuse(r, node as Node, 'a statement that is not a literal mapping');
  if (node.anchor !== undefined) refuse(r, node, 'an anchor on a statement; iamtrim cannot rewrite it without changing what else refers to it');
  const statement: Record<string, unknown> = {};
  for (const pair of node.items) {
    const key = literal(pair.key);
    const range = isScalar(pair.key) ? pair.key.range : undefined;
    if (key === '<<' || (range !== undefined && range !== null && r.text.slice(range[0], range[1]) === '<<'))
      refuse(r, pair.value as Node, 'a merge key (<<) inside the statements');
    if (key === undefined || !STATEMENT_KEYS.has(key))
      refuse(r, pair.value as Node, `${key ?? 'a key'} is not a statement element (Sid, Effect, Action, NotAction, Resource, NotResource, Condition)`);
    if (key === 'Effect' || key === 'Sid') {
      const value = literal(pair.value);
      if (value === undefined || (key === 'Effect' && value !== 'Allow' && value !== 'Deny') || /[$#]\{/.test(value)) {
        refuse(r, pair.value as Node, `${key} is not a literal${key === 'Effect' ? ' "Allow" or "Deny"' : ''}`);
      }
      statement[key] = value;
    } else if (key === 'Condition') statement[key] = readCondition(r, pair.value);
    else statement[key] = readStrings(r, pair.value);
  }
  if (statement['Effect'] === undefined) refuse(r, node, 'a statement without Effect');
  return statement as unknown as Statement;
}

/** The statements of one list as a policy document, expressions marked. */
export function readServerlessList(file: string, text: string, list: ServerlessList, includes: ReadonlyMap<string, string> = new Map()): ServerlessRead {
  if (list.ignored !== undefined)
    throw new InputError(`${file}: ${list.ignored}`, { hint: "point --file at the file that defines the role's policy, or --resource at another list" });
  const r: Reader = { file, text, where: list.path, includes, included: [], expressions: new Map(), marks: 0 };
  const node = list.node;
  if (node === undefined) refuse(r, undefined, 'not a list of statements');
  const document: PolicyDocument = { Version: '2012-10-17', Statement: node.items.map((item) => readStatement(r, item)) };
  const provider = list.inherits;
  if (provider?.node !== undefined) {
    // The provider's statements are this role's too, but they live in (and are trimmed through) the provider's list.
    const inner: Reader = { ...r, where: provider.path, included: [] };
    provider.node.items.forEach((item, i) => {
      const statement = readStatement(inner, item);
      document.Statement.push(statement);
      r.included.push({ from: 'provider', source: `${provider.path}[${i}]`, path: provider.path, statement });
    });
    r.marks = inner.marks;
  }
  return { document, expressions: r.expressions, target: list.path, included: r.included };
}

/**
 * Reads one policy document of a CloudFormation template (a node of the `yaml` parser's tree) as
 * `pr` reads other formats; template-policies.ts finds the documents.
 *
 * Intrinsic functions are not evaluated: `!Ref X`, `!GetAtt X.Arn`, `!ImportValue`, `!Select` and
 * `!FindInMap` read as one expression mark (any text), `!Sub 'arn:${AWS::Partition}:s3:::${B}/*'`
 * and `Fn::Join` keep their literal text around the marks, so matching against IAM's literal ARNs
 * stays as tight as the template allows. What cannot be read without evaluating the template
 * (`!If` or `!Split` inside a statement, a document that is itself `!Sub` of JSON text, anchors
 * and aliases) makes that policy refused with the reason, never guessed.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { PolicyDocument, Statement } from '../model.js';
import { expressionMark } from './hcl-value.js';
import type { PolicyRead } from './read-policy.js';

/** A policy document in the template, read or refused. */
export interface TemplatePolicy {
  /** `Resources.AppRole.Properties.Policies[0]`: stable, used to find it again. */
  id: string;
  /** For messages: `AppRole (AWS::IAM::Role) policy app-s3`. */
  label: string;
  logicalId: string;
  /** The inline policy's PolicyName when it is a literal. */
  policyName: string | undefined;
  /** The PolicyDocument value's node; its range is the span a rewrite replaces. */
  node: Node;
  result: { kind: 'read'; read: PolicyRead } | { kind: 'refused'; reason: string };
}

/** Intrinsics that stand for one string value: read as one expression mark. */
const SCALAR_INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::ImportValue', 'Fn::Select', 'Fn::FindInMap', 'Fn::Base64', 'Fn::GetParam']);

/** A policy iamtrim cannot read without evaluating the template; its message is the reason. */
export class Refusal extends Error {}

export function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

export function valueOf(map: YAMLMap, name: string): unknown {
  return map.items.find((p) => isPair(p) && keyName(p) === name)?.value;
}

/** `Fn::Sub` for `!Sub` and for a one-key `{Fn::Sub: ...}` mapping; undefined when not an intrinsic. */
export function intrinsicName(node: unknown): string | undefined {
  if ((isScalar(node) || isSeq(node) || isMap(node)) && typeof node.tag === 'string' && node.tag.startsWith('!') && !node.tag.startsWith('!!')) {
    const name = node.tag.slice(1);
    return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  }
  if (isMap(node) && node.items.length === 1) {
    const key = node.items[0] === undefined ? undefined : keyName(node.items[0]);
    if (key !== undefined && (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))) return key;
  }
  return undefined;
}

/** The intrinsic's argument node (the tagged node itself for a short form). */
export function intrinsicArgument(node: Node): unknown {
  return node.tag !== undefined && node.tag.startsWith('!') ? node : (node as YAMLMap).items[0]?.value;
}

/** Where a node's source starts: before its tag (`!Sub 'x'`), which its range leaves out. */
export function sourceStart(text: string, node: Node): number {
  const start = node.range?.[0] ?? 0;
  if (typeof node.tag !== 'string' || !node.tag.startsWith('!')) return start;
  const at = text.lastIndexOf(node.tag, start);
  if (at < 0 || !/^\s*$/.test(text.slice(at + node.tag.length, start))) throw new Refusal(`cannot find the source of ${node.tag}`);
  return at;
}

/** The end of the last thing a node holds, leaving out the trailing comments a block node's range takes in. */
export function contentEnd(node: unknown): number {
  if (isPair(node)) return contentEnd(node.value ?? node.key);
  if ((isMap(node) || isSeq(node)) && node.flow !== true) {
    const last = node.items[node.items.length - 1];
    if (last !== undefined) return contentEnd(last);
  }
  const range = (node as Node | null)?.range;
  return range === undefined || range === null ? 0 : range[1];
}

/** YAML flow text of a node (one line): for intrinsics written over several lines in block style. */
function flowText(node: unknown): string {
  const tag =
    isScalar(node) || isSeq(node) || isMap(node)
      ? typeof node.tag === 'string' && node.tag.startsWith('!') && !node.tag.startsWith('!!')
        ? `${node.tag} `
        : ''
      : '';
  if (isScalar(node)) return tag + (typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.value));
  if (isSeq(node)) return `${tag}[${node.items.map(flowText).join(', ')}]`;
  if (isMap(node)) return `${tag}{${node.items.map((p) => `${JSON.stringify(isScalar(p.key) ? String(p.key.value) : '')}: ${flowText(p.value)}`).join(', ')}}`;
  throw new Refusal('an intrinsic function holds something iamtrim cannot copy');
}

/** The text to write an intrinsic back with: its own source when that fits on one line in place, else flow YAML. */
export function intrinsicSource(text: string, node: Node): string {
  const start = sourceStart(text, node);
  const source = text.slice(start, node.range?.[1] ?? start).trimEnd();
  const inline = isScalar(node) || ((isSeq(node) || isMap(node)) && node.flow === true);
  return inline && !source.includes('\n') ? source : flowText(node);
}

/** `Fn::Sub` template text -> literal text with a mark per `${...}` (`${!x}` is a literal `${x}`). */
function subTemplate(template: string, mark: () => string): string {
  return template.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, body: string) => (bang === '!' ? `\${${body}}` : mark()));
}

export interface ReadState {
  text: string;
  expressions: Map<string, string>;
  marks: number;
}

export function mark(state: ReadState): string {
  return expressionMark(state.marks++);
}

/** The string an intrinsic stands for, with marks for what only CloudFormation can resolve. */
export function intrinsicString(state: ReadState, node: Node, name: string): string {
  const arg = intrinsicArgument(node);
  if (SCALAR_INTRINSICS.has(name)) return mark(state);
  if (name === 'Fn::Sub') {
    const template = isSeq(arg) ? arg.items[0] : arg;
    if (isScalar(template) && typeof template.value === 'string') return subTemplate(template.value, () => mark(state));
    throw new Refusal('a Fn::Sub whose template is not a literal string');
  }
  if (name === 'Fn::Join' && isSeq(arg) && arg.items.length === 2) {
    const [delimiter, parts] = arg.items;
    if (isScalar(delimiter) && typeof delimiter.value === 'string' && isSeq(parts) && intrinsicName(parts) === undefined) {
      return parts.items
        .map((part) => {
          if (isScalar(part) && intrinsicName(part) === undefined) return String(part.value);
          const inner = intrinsicName(part);
          if (inner !== undefined && (isScalar(part) || isSeq(part) || isMap(part))) return intrinsicString(state, part, inner);
          throw new Refusal('a Fn::Join part iamtrim cannot read');
        })
        .join(delimiter.value);
    }
    throw new Refusal('a Fn::Join over a list iamtrim cannot read');
  }
  if (name === 'Fn::If') throw new Refusal('a value chosen with Fn::If, which depends on Conditions iamtrim cannot follow');
  if (name === 'Fn::Split' || name === 'Fn::GetAZs' || name === 'Fn::Cidr') throw new Refusal(`a list built with ${name}, whose length depends on the stack`);
  throw new Refusal(`${name} where a string belongs`);
}

/** A plain value of the policy; an intrinsic becomes a marked string mapped to its source. */
function readNode(state: ReadState, node: unknown): unknown {
  if (isAlias(node)) throw new Refusal('an alias (*name), which a rewrite would cut off from its anchor');
  if (!(isScalar(node) || isSeq(node) || isMap(node))) throw new Refusal('a value iamtrim cannot read');
  if (node.anchor !== undefined) throw new Refusal(`an anchor (&${node.anchor}) that aliases elsewhere may use`);
  const name = intrinsicName(node);
  if (name !== undefined) {
    if (name === 'Ref' && isScalar(intrinsicArgument(node)) && (intrinsicArgument(node) as { value: unknown }).value === 'AWS::NoValue') {
      throw new Refusal('Ref AWS::NoValue, which removes a value only under a condition');
    }
    const value = intrinsicString(state, node, name);
    state.expressions.set(value, intrinsicSource(state.text, node));
    return value;
  }
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => readNode(state, item));
  const out: Record<string, unknown> = {};
  for (const pair of node.items) {
    const key = keyName(pair);
    if (key === undefined) throw new Refusal('a mapping key that is not a plain string');
    if (key in out) throw new Refusal(`the key ${key} twice in one mapping, which YAML readers resolve differently`);
    out[key] = readNode(state, pair.value);
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the PolicyDocument node as a document with marks, or throws a Refusal. */
export function readTemplateDocument(text: string, node: unknown): Omit<PolicyRead, 'target'> {
  const name = intrinsicName(node);
  if (name !== undefined)
    throw new Refusal(`the PolicyDocument is built with ${name}${name === 'Fn::Sub' ? ' (JSON text with substitutions)' : ''}, not written out`);
  if (!isMap(node)) throw new Refusal('the PolicyDocument is not a mapping');
  const statements = valueOf(node, 'Statement');
  const list = isSeq(statements) && intrinsicName(statements) === undefined ? statements.items : [statements];
  list.forEach((s, i) => {
    const inner = intrinsicName(s);
    if (inner !== undefined) throw new Refusal(`statement ${i + 1} is built with ${inner}, which depends on Conditions iamtrim cannot follow`);
  });
  const state: ReadState = { text, expressions: new Map(), marks: 0 };
  const value = readNode(state, node);
  if (!isRecord(value) || value['Statement'] === undefined) throw new Refusal('the PolicyDocument has no Statement');
  const raw = value['Statement'];
  const read = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  if (!read.every((s) => isRecord(s) && (s['Effect'] === 'Allow' || s['Effect'] === 'Deny'))) {
    throw new Refusal('a statement has no literal Effect "Allow" or "Deny"');
  }
  if (read.some((s) => isRecord(s) && (s['Principal'] !== undefined || s['NotPrincipal'] !== undefined))) {
    throw new Refusal('a statement names a Principal, so it is not an identity policy');
  }
  const document: PolicyDocument = { ...(typeof value['Version'] === 'string' ? { Version: value['Version'] } : {}), Statement: read as Statement[] };
  return { document, expressions: state.expressions };
}

/**
 * A managed policy's share over IAM's 6,144 characters (issue 20 item 2) written into a
 * CloudFormation/SAM template as several `AWS::IAM::ManagedPolicy` resources: the original holds
 * part 1, sibling resources `<LogicalId>Part2`, ... are copies of it (same Properties, its
 * `ManagedPolicyName` given a `-partN` suffix since names are unique, `Roles`/`Users`/`Groups`
 * copied so each part is attached to the same principals), inserted right after it; where a role,
 * user or group attaches it through `ManagedPolicyArns` with `!Ref <LogicalId>`, the parts' refs
 * are added beside it. Only those spans change; each part's document is then written by
 * cloudformation-rewrite.ts, which re-parses the template and checks it. Refused with the reason
 * where the parts could not stand where the original does: a `Condition` on it, any other use of
 * it (`DependsOn`, `!GetAtt`, `!Sub`, `Outputs` exporting it to other stacks), an attachment by a
 * literal ARN, no attachment at all, or a name iamtrim cannot extend.
 */
import { isMap, isScalar, isSeq, Scalar, visit, type Node, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import type { PolicyDocument } from '../model.js';
import { IAM_LIMITS } from '../policy/fit-limits.js';
import { count } from '../render/format.js';
import { contentEnd, intrinsicArgument, intrinsicName, keyName, sourceStart, valueOf } from './cloudformation-read.js';
import { rewriteTemplatePolicy } from './cloudformation-rewrite.js';
import type { FileRewrite } from './rewrite.js';
import { parseTemplate } from './template-policies.js';

const PRINCIPAL_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

interface Edit {
  at: number;
  end?: number;
  text: string;
}

function apply(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end ?? e.at);
  return out;
}

/** Where to append to a one-line string scalar: before its closing quote, or after a plain one. */
function appendAt(node: unknown): number | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || node.range === undefined || node.range === null) return undefined;
  if (node.type === Scalar.PLAIN) return node.range[1];
  if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) return node.range[1] - 1;
  return undefined;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const at = text.indexOf('\n', offset);
  return at < 0 ? text.length : at + 1;
}

/** Every `Ref`, `GetAtt`, `Sub` or `DependsOn` use of `logicalId` under `node`, named for messages. */
function usesOf(node: Node, logicalId: string, where: string, out: Array<{ where: string; node: Node }>): void {
  const sub = new RegExp(`\\$\\{${logicalId}(?:\\.[^}]*)?\\}`);
  const check = (n: Node): void => {
    const name = intrinsicName(n);
    if (name === undefined) return;
    const arg = intrinsicArgument(n);
    const first = isSeq(arg) ? arg.items[0] : arg;
    const value = isScalar(first) && typeof first.value === 'string' ? first.value : undefined;
    if (value === undefined) return;
    const named = value === logicalId || (name === 'Fn::GetAtt' && value.startsWith(`${logicalId}.`));
    if (((name === 'Ref' || name === 'Fn::GetAtt') && named) || (name === 'Fn::Sub' && sub.test(value))) out.push({ where: `${where} (${name})`, node: n });
  };
  visit(node, {
    Scalar: (_, n) => check(n),
    Map: (_, n) => check(n),
    Seq: (_, n) => check(n),
    Pair: (_, pair) => {
      if (keyName(pair) !== 'DependsOn') return;
      const items = isSeq(pair.value) ? pair.value.items : [pair.value];
      if (items.some((i) => isScalar(i) && i.value === logicalId)) out.push({ where: `${where} (DependsOn)`, node: pair.value as Node });
    },
  });
}

/** Writes `documents` (two or more) as the template's managed policy at `id` and sibling parts. */
export function writeSplitTemplatePolicy(
  file: string,
  text: string,
  id: string,
  documents: readonly PolicyDocument[],
  expressions: ReadonlyMap<string, string>,
): FileRewrite {
  const parsed = parseTemplate(file, text);
  const parts = `${documents.length} managed policies of at most ${count(IAM_LIMITS.managedPolicySize)} characters`;
  const logicalId = /^Resources\.([^.]+)\.Properties\.PolicyDocument$/.exec(id)?.[1];
  const refuse = (why: string): never => {
    throw new InputError(`--file ${file} ${logicalId ?? id}: the share needs ${parts}, and ${why}`, {
      hint: 'iamtrim minimize --format json shows the documents (policies[]); add the other parts by hand, or use --resources generalize',
    });
  };
  const root = parsed.doc.contents as YAMLMap;
  const resources = valueOf(root, 'Resources') as YAMLMap;
  const pair = resources.items.find((p) => keyName(p) === logicalId);
  const resource = pair?.value;
  if (
    logicalId === undefined ||
    pair === undefined ||
    !isMap(resource) ||
    !isScalar(valueOf(resource, 'Type')) ||
    (valueOf(resource, 'Type') as Scalar).value !== 'AWS::IAM::ManagedPolicy'
  ) {
    return refuse('only an AWS::IAM::ManagedPolicy can be written as several resources');
  }
  if (valueOf(resource, 'Condition') !== undefined) refuse(`${logicalId} has a Condition, which each part would need to carry the same way`);
  const names = documents.slice(1).map((_, i) => `${logicalId}Part${i + 2}`);
  const taken = names.filter((n) => resources.items.some((p) => keyName(p) === n));
  if (taken.length > 0) refuse(`the template already has ${taken.join(', ')}`);
  const properties = valueOf(resource, 'Properties') as YAMLMap;
  let anchor: string | undefined;
  visit(resource, { Node: (_, n) => void (anchor ??= 'anchor' in n && typeof n.anchor === 'string' ? n.anchor : undefined) });
  if (anchor !== undefined) refuse(`${logicalId} holds an anchor (&${anchor}), which a copy would define twice`);

  // Every use of the policy elsewhere must be a `!Ref` in a principal's ManagedPolicyArns list.
  const uses: Array<{ where: string; node: Node }> = [];
  for (const section of root.items) {
    const name = keyName(section);
    if (name !== 'Resources' && section.value !== null) usesOf(section.value as Node, logicalId, name ?? '?', uses);
  }
  const refs: Node[] = [];
  for (const other of resources.items) {
    const otherId = keyName(other) ?? '?';
    if (other === pair || !isMap(other.value)) continue;
    const found: Array<{ where: string; node: Node }> = [];
    usesOf(other.value, logicalId, `Resources.${otherId}`, found);
    const type = valueOf(other.value, 'Type');
    const props = valueOf(other.value, 'Properties');
    const arns = PRINCIPAL_TYPES.has(isScalar(type) ? String(type.value) : '') && isMap(props) ? valueOf(props, 'ManagedPolicyArns') : undefined;
    for (const use of found) {
      if (isSeq(arns) && arns.items.includes(use.node) && intrinsicName(use.node) === 'Ref') refs.push(use.node);
      else uses.push(use);
    }
  }
  if (uses.length > 0) refuse(`it is used where the parts cannot follow: ${uses.map((u) => u.where).join(', ')}`);
  const policyName = valueOf(properties, 'ManagedPolicyName');
  const nameNode = intrinsicName(policyName) === 'Fn::Sub' ? intrinsicArgument(policyName as Node) : policyName;
  const nameText = isScalar(nameNode) && typeof nameNode.value === 'string' ? nameNode.value : undefined;
  if (nameText !== undefined) {
    const byArn: string[] = [];
    visit(parsed.doc, {
      Scalar(_, scalar) {
        if (typeof scalar.value === 'string' && scalar.value.endsWith(`policy/${nameText}`)) byArn.push(scalar.value);
      },
    });
    if (byArn.length > 0) refuse(`it is attached by its ARN (${byArn[0] ?? ''}), which iamtrim does not extend`);
  }
  const attached = ['Roles', 'Users', 'Groups'].some((k) => isSeq(valueOf(properties, k)) && (valueOf(properties, k) as { items: unknown[] }).items.length > 0);
  if (!attached && refs.length === 0)
    refuse(`${file} holds no attachment of ${logicalId} (Roles/Users/Groups, or !Ref in a ManagedPolicyArns): the other parts would be attached to nothing`);

  // The resource copied, renamed, with a -partN name; inserted after the original.
  const edits: Edit[] = [];
  const keyNode = pair.key as Node;
  const blockStart = parsed.json || resources.flow === true ? sourceStart(text, keyNode) : lineStart(text, keyNode.range?.[0] ?? 0);
  const blockEnd = contentEnd(pair);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const nameAt = policyName === undefined ? undefined : appendAt(nameNode);
  if (policyName !== undefined && (nameAt === undefined || (intrinsicName(policyName) !== undefined && intrinsicName(policyName) !== 'Fn::Sub'))) {
    refuse('its ManagedPolicyName is not a one-line string or !Sub, so the parts cannot be given names of their own');
  }
  const keyAt = appendAt(keyNode);
  if (keyAt === undefined) refuse('its logical id is not a plain key');
  const copy = (n: number): string => {
    const local: Edit[] = [{ at: (keyAt ?? 0) - blockStart, text: `Part${n}` }];
    if (nameAt !== undefined) local.push({ at: nameAt - blockStart, text: `-part${n}` });
    return apply(text.slice(blockStart, blockEnd), local);
  };
  const numbers = names.map((_, i) => i + 2);
  if (parsed.json || resources.flow === true) {
    const indent = text.slice(lineStart(text, blockStart), blockStart);
    const own = /^\s*$/.test(indent);
    edits.push({ at: blockEnd, text: numbers.map((n) => `,${own ? eol + indent : ' '}${copy(n)}`).join('') });
  } else {
    const end = lineEnd(text, blockEnd);
    const newline = text.slice(0, end).endsWith('\n');
    edits.push({ at: end, text: numbers.map((n) => (newline ? `${copy(n)}${eol}` : `${eol}${copy(n)}`)).join('') });
  }
  // Each `!Ref <LogicalId>` in a ManagedPolicyArns gets the parts' refs beside it.
  for (const ref of refs) {
    const start = sourceStart(text, ref);
    const end = contentEnd(ref);
    const argument = isScalar(ref) ? ref : (ref as YAMLMap).items[0]?.value;
    const at = appendAt(argument);
    if (at === undefined) refuse('a ManagedPolicyArns entry refers to it in a form iamtrim cannot copy');
    const item = (n: number): string => apply(text.slice(start, end), [{ at: (at ?? 0) - start, text: `Part${n}` }]);
    const prefix = text.slice(lineStart(text, start), start);
    const flow = isSeqFlow(parsed, ref);
    if (!flow && /^\s*-\s+$/.test(prefix)) {
      const lineEndAt = lineEnd(text, end);
      const newline = text.slice(0, lineEndAt).endsWith('\n');
      edits.push({ at: lineEndAt, text: numbers.map((n) => (newline ? `${prefix}${item(n)}${eol}` : `${eol}${prefix}${item(n)}`)).join('') });
    } else if (flow) {
      const own = /^\s*$/.test(prefix);
      edits.push({ at: end, text: numbers.map((n) => `,${own ? eol + prefix : ' '}${item(n)}`).join('') });
    } else refuse('a ManagedPolicyArns entry refers to it in a form iamtrim cannot copy');
  }
  let out = apply(text, edits);
  for (const [i, name] of names.entries())
    out = rewriteTemplatePolicy(file, out, `Resources.${name}.Properties.PolicyDocument`, documents[i + 1] ?? { Statement: [] }, expressions).content;
  const first = rewriteTemplatePolicy(file, out, id, documents[0] ?? { Statement: [] }, expressions);
  return { content: first.content, target: `${first.target} (+ ${names.join(', ')}, split for IAM's ${count(IAM_LIMITS.managedPolicySize)}-character limit)` };
}

/** Whether `item` sits in a flow list (`[...]`, JSON) rather than a block list. */
function isSeqFlow(parsed: ReturnType<typeof parseTemplate>, item: Node): boolean {
  let flow = false;
  visit(parsed.doc, {
    Seq(_, seq) {
      if (seq.items.includes(item as never)) flow = seq.flow === true;
    },
  });
  return flow;
}

/**
 * A policy's share that is too large for IAM (issue 20 item 2): a managed policy holds 6,144
 * characters, so its share is split into several managed policies (the packing `minimize` uses,
 * exact: no wildcards added); a role's inline policies share 10,240 characters between them, so
 * splitting one into several inline policies would not help and is refused. Several documents are
 * written where the format can hold them: a Terraform `aws_iam_policy` gets sibling resources
 * `NAME_part2`, ... with copies of its attachments in the same file; a template's
 * `AWS::IAM::ManagedPolicy` gets sibling resources (cloudformation-split.ts). A JSON file holds one
 * document and other formats are not written in several parts: refused with the reason, never half-written.
 */
import { InputError } from '../errors.js';
import type { PolicyDocument, PolicyShare } from '../model.js';
import { policySize } from '../policy/canonical.js';
import { IAM_LIMITS, packStatements } from '../policy/fit-limits.js';
import { count } from '../render/format.js';
import { lineOf, scanItems, type HclAttribute, type HclBlock } from './hcl-locate.js';
import { addressOf, locateTerraformPolicy, rewritePolicyFile, type FileRewrite } from './rewrite.js';

/** Resource types that attach a managed policy through `policy_arn`. */
const ATTACHMENTS = new Set([
  'aws_iam_role_policy_attachment',
  'aws_iam_user_policy_attachment',
  'aws_iam_group_policy_attachment',
  'aws_iam_policy_attachment',
]);

/**
 * The share's proposal as the documents IAM accepts: one when it fits, several managed policies
 * when a managed share does not; refused when an inline share does not fit beside the role's
 * other inline policies, or a managed one does not fit the role's managed-policy quota.
 */
export function documentsWithinLimits(share: PolicyShare, policies: readonly PolicyShare[], where: string): PolicyDocument[] {
  const size = policySize(share.proposed);
  if (share.kind === 'inline') {
    const others = policies.filter((p) => p.kind === 'inline' && p.name !== share.name).reduce((n, p) => n + policySize(p.current), 0);
    if (size + others <= IAM_LIMITS.inlinePolicySizeTotal) return [share.proposed];
    throw new InputError(
      `--file ${where}: the share of ${share.name} is ${count(size)} characters${others > 0 ? ` and the role's other inline policies ${count(others)}` : ''}, over the ${count(IAM_LIMITS.inlinePolicySizeTotal)} IAM allows a role's inline policies together; splitting it into several inline policies would not help`,
      { hint: 'make it a customer-managed policy (6,144 characters each, several per role), or run minimize with --resources generalize' },
    );
  }
  if (size <= IAM_LIMITS.managedPolicySize) return [share.proposed];
  const managed = policies.filter((p) => p.kind === 'managed').length;
  const room = IAM_LIMITS.managedPoliciesPerRole - managed + 1;
  const packed = packStatements(share.proposed.Statement, IAM_LIMITS.managedPolicySize, Math.max(room, 1));
  if (packed === undefined || packed.length <= 1) {
    throw new InputError(
      `--file ${where}: the share of ${share.name} is ${count(size)} characters, over the ${count(IAM_LIMITS.managedPolicySize)} of a managed policy, and does not fit the ${room} managed polic${room === 1 ? 'y' : 'ies'} the role has room for (${managed} attached, ${IAM_LIMITS.managedPoliciesPerRole} at most)`,
      { hint: "run minimize with --resources generalize, or raise the role's managed-policy quota" },
    );
  }
  return packed;
}

function refuse(where: string, what: string, hint: string): never {
  throw new InputError(`--file ${where}: ${what}`, { hint });
}

/** `documents` (two or more) where a Terraform file's policy lives; templates go to cloudformation-split.ts. */
export function writeSplitPolicy(
  file: string,
  text: string,
  resource: string | undefined,
  documents: readonly PolicyDocument[],
  expressions: ReadonlyMap<string, string>,
): FileRewrite {
  const parts = `${documents.length} managed policies of at most ${count(IAM_LIMITS.managedPolicySize)} characters`;
  const hint = 'iamtrim minimize --format json shows the documents (policies[]); create and attach the others by hand, or use --resources generalize';
  if (!file.endsWith('.tf')) {
    refuse(
      file,
      `the share needs ${parts}; ${file.endsWith('.json') ? 'a JSON policy file holds one document' : 'iamtrim writes several documents into Terraform and CloudFormation templates only'}`,
      hint,
    );
  }
  const { block, blocks } = locateTerraformPolicy(file, text, resource);
  const where = `${file}:${lineOf(text, block.start)} ${addressOf(block)}`;
  const body = (b: HclBlock): string => text.slice(b.bodyStart, b.bodyEnd);
  const data = block.type === 'data' ? block : undefined;
  const users = blocks.filter(
    (b) =>
      b.type === 'resource' &&
      b.labels[0] === 'aws_iam_policy' &&
      (data === undefined ? b === block : new RegExp(`\\bdata\\.aws_iam_policy_document\\.${data.labels[1] ?? ''}\\b`).test(body(b))),
  );
  const policy = users[0];
  if (policy === undefined || users.length !== 1) {
    refuse(
      where,
      `the share needs ${parts}, and ${data === undefined ? `${addressOf(block)} is not an aws_iam_policy` : `no single aws_iam_policy in ${file} uses it`}`,
      hint,
    );
  }
  const name = policy.labels[1] ?? '';
  const reference = `\\baws_iam_policy\\.${name}(?=[.[])`;
  if (blocks.some((b) => b.type === 'resource' && b.labels[0] === 'aws_iam_role' && new RegExp(reference).test(body(b)))) {
    refuse(
      where,
      `the share needs ${parts}, and aws_iam_policy.${name} is attached through an aws_iam_role's managed_policy_arns, which iamtrim does not extend`,
      hint,
    );
  }
  const attachments = blocks.filter((b) => b.type === 'resource' && ATTACHMENTS.has(b.labels[0] ?? '') && new RegExp(reference).test(body(b)));
  if (attachments.length === 0) {
    refuse(where, `the share needs ${parts}, and ${file} holds no attachment of aws_iam_policy.${name}: the other parts would be attached to nothing`, hint);
  }
  const suffix = (n: number): string => `_part${n}`;
  /** A copy of a block named `<label>_partN`, with `edit` applied to its text. */
  const copy = (b: HclBlock, n: number, edit: (t: string) => string = (t) => t): string => {
    const label = b.labels[1] ?? '';
    const header = text.slice(b.start, b.bodyStart).replace(`"${label}"`, `"${label}${suffix(n)}"`);
    return edit(header + text.slice(b.bodyStart, b.bodyEnd + 1));
  };
  const rename = (t: string): string => {
    const own = scanItems(file, t, t.indexOf('{') + 1, t.lastIndexOf('}')).find((i): i is HclAttribute => i.kind === 'attribute' && i.name === 'name');
    if (own === undefined) return t;
    const value = t.slice(own.valueStart, own.valueEnd);
    return t.slice(0, own.valueStart) + (/^"[^"]*"$/.test(value) ? `${value.slice(0, -1)}-part` : `"\${${value}}-part`) + PART + '"' + t.slice(own.valueEnd);
  };
  const inserts: Array<{ at: number; text: string }> = [];
  const add = (b: HclBlock, texts: string[]): void => void inserts.push({ at: b.bodyEnd + 1, text: texts.map((t) => `\n\n${t}`).join('') });
  const extra = documents.slice(1).map((doc, i) => ({ doc, n: i + 2 }));
  if (data !== undefined) {
    add(
      data,
      extra.map(
        ({ doc, n }) => rewritePolicyFile(file, copy(data, n), doc, `data.aws_iam_policy_document.${data.labels[1] ?? ''}${suffix(n)}`, expressions).content,
      ),
    );
  }
  add(
    policy,
    extra.map(({ doc, n }) => {
      const renamed = rename(copy(policy, n)).split(PART).join(String(n));
      if (data !== undefined)
        return renamed.replace(
          new RegExp(`\\bdata\\.aws_iam_policy_document\\.${data.labels[1] ?? ''}\\b`),
          `data.aws_iam_policy_document.${data.labels[1] ?? ''}${suffix(n)}`,
        );
      return rewritePolicyFile(file, renamed, doc, `aws_iam_policy.${name}${suffix(n)}`, expressions).content;
    }),
  );
  for (const attachment of attachments)
    add(
      attachment,
      extra.map(({ n }) => copy(attachment, n, (t) => t.replace(new RegExp(reference, 'g'), `aws_iam_policy.${name}${suffix(n)}`))),
    );
  let out = text;
  for (const insert of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, insert.at) + insert.text + out.slice(insert.at);
  const first = rewritePolicyFile(file, out, documents[0] ?? { Statement: [] }, addressOf(block), expressions);
  const names = extra.map(({ n }) => `aws_iam_policy.${name}${suffix(n)}`);
  return { content: first.content, target: `${first.target} (+ ${names.join(', ')}, split for IAM's ${count(IAM_LIMITS.managedPolicySize)}-character limit)` };
}

/** Placeholder for the part number inside a renamed `name` while the copy is built. */
const PART = '\uE003';

/**
 * The identity policies a CloudFormation or AWS SAM template (YAML or JSON) defines, each read or
 * refused with the reason: `AWS::IAM::Role`/`User`/`Group` `Properties.Policies[].PolicyDocument`
 * (also a policy under `!If [Cond, {...}, !Ref AWS::NoValue]`), the `PolicyDocument` of
 * `AWS::IAM::Policy`, `ManagedPolicy`, `RolePolicy`, `UserPolicy`, `GroupPolicy`, and each item of
 * an `AWS::Serverless::Function` / `StateMachine` `Policies` that becomes an inline policy of the
 * role SAM creates (an inline document, or a SAM policy template). The YAML parser gives each
 * document's source range, so a rewrite replaces that span and nothing else.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import {
  intrinsicArgument,
  intrinsicName,
  intrinsicSource,
  keyName,
  readTemplateDocument,
  Refusal,
  valueOf,
  type TemplatePolicy,
} from './cloudformation-read.js';
import type { PolicyRead } from './read-policy.js';
import { readSamTemplateItem } from './sam-item-read.js';

const DOCUMENT_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy', 'AWS::IAM::UserPolicy', 'AWS::IAM::GroupPolicy']);
const PRINCIPAL_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);
const HINT = 'pr reads CloudFormation and SAM templates (.yaml/.json), serverless.yml, policy .json and Terraform .tf files';
const SAM_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine']);

export interface ParsedTemplate {
  doc: Document;
  text: string;
  json: boolean;
  policies: TemplatePolicy[];
}

/** Whether `pr` reads the file as a CloudFormation template: any YAML file, a JSON file with a top-level `Resources` mapping of typed resources. */
export function isCloudFormationTemplate(file: string, text: string): boolean {
  // A YAML file that is not a serverless.yml can only be a template: parseTemplate says what is wrong with it.
  if (/\.ya?ml$/i.test(file)) return true;
  if (!/\.(json|template)$/i.test(file)) return false;
  const doc = parseDocument(text, { uniqueKeys: false, logLevel: 'silent' });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return false;
  const resources = valueOf(doc.contents, 'Resources');
  return isMap(resources) && resources.items.some((p) => isMap(p.value) && isScalar(valueOf(p.value, 'Type')));
}

function candidate(
  text: string,
  id: string,
  label: string,
  logicalId: string,
  policyName: string | undefined,
  node: unknown,
  read: () => Omit<PolicyRead, 'target'> = () => readTemplateDocument(text, node),
): TemplatePolicy | undefined {
  if (!(isScalar(node) || isSeq(node) || isMap(node)) && !isAlias(node)) return undefined;
  let result: TemplatePolicy['result'];
  try {
    result = { kind: 'read', read: { ...read(), target: id } };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    result = { kind: 'refused', reason: error.message };
  }
  return { id, label, logicalId, policyName, node: node as Node, result };
}

/** An inline policy of a role, user or group: `{PolicyName, PolicyDocument}`, possibly under `!If`. */
function inlinePolicies(text: string, logicalId: string, type: string, policies: unknown): TemplatePolicy[] {
  const base = `Resources.${logicalId}.Properties.Policies`;
  const short = type.replace('AWS::IAM::', '');
  if (!isSeq(policies) || intrinsicName(policies) !== undefined) {
    const name = intrinsicName(policies);
    return name === undefined ? [] : [refused(base, `${logicalId} (${type}) Policies`, logicalId, `its Policies list is built with ${name}`, policies)];
  }
  const out: TemplatePolicy[] = [];
  policies.items.forEach((item, i) => {
    const branches: Array<{ node: unknown; where: string }> = [];
    const name = intrinsicName(item);
    if (name === 'Fn::If' && (isSeq(item) || isMap(item))) {
      const arg = intrinsicArgument(item);
      // The policy exists only when the condition holds; IAM having it proves it held. The other branch is AWS::NoValue.
      if (isSeq(arg) && arg.items.length === 3) {
        const condition = isScalar(arg.items[0]) ? String(arg.items[0].value) : '?';
        arg.items.slice(1).forEach((b, n) => {
          if (isMap(b) && intrinsicName(b) === undefined)
            branches.push({ node: b, where: `${base}[${i}] (Fn::If ${condition}, ${n === 0 ? 'true' : 'false'})` });
        });
      }
    } else if (isMap(item) && name === undefined) branches.push({ node: item, where: `${base}[${i}]` });
    else if (name !== undefined)
      out.push(refused(`${base}[${i}]`, `${logicalId} (${type}) Policies[${i}]`, logicalId, `the policy is built with ${name}`, item));
    for (const branch of branches) {
      const map = branch.node as YAMLMap;
      const policyName = valueOf(map, 'PolicyName');
      const literal = isScalar(policyName) && intrinsicName(policyName) === undefined && typeof policyName.value === 'string' ? policyName.value : undefined;
      const found = candidate(
        text,
        branch.where,
        `${logicalId} (${short}) policy ${literal ?? `#${i + 1}`}`,
        logicalId,
        literal,
        valueOf(map, 'PolicyDocument'),
      );
      if (found !== undefined) out.push(found);
    }
  });
  return out;
}

function refused(id: string, label: string, logicalId: string, reason: string, node: unknown): TemplatePolicy {
  return { id, label, logicalId, policyName: undefined, node: node as Node, result: { kind: 'refused', reason } };
}

/** Parses a template and lists its identity policies, in file order (`version` 1.1 to read as CloudFormation's YAML 1.1 reader does). */
export function parseTemplate(file: string, text: string, version: '1.1' | '1.2' = '1.2'): ParsedTemplate {
  const doc = parseDocument(text, { uniqueKeys: false, logLevel: 'silent', version });
  if (doc.errors.length > 0)
    throw new InputError(`--file ${file}: not YAML iamtrim can read (${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'})`, { hint: HINT });
  if (!isMap(doc.contents)) throw new InputError(`--file ${file}: not a CloudFormation template (the top level is not a mapping)`, { hint: HINT });
  const resources = valueOf(doc.contents, 'Resources');
  if (!isMap(resources)) throw new InputError(`--file ${file}: not a CloudFormation template (no Resources mapping)`, { hint: HINT });
  const json = /^\s*\{/.test(text);
  const policies: TemplatePolicy[] = [];
  for (const pair of resources.items) {
    const logicalId = keyName(pair);
    const resource = pair.value;
    if (logicalId === undefined || !isMap(resource)) continue;
    const typeNode = valueOf(resource, 'Type');
    const type = isScalar(typeNode) && typeof typeNode.value === 'string' ? typeNode.value : '';
    if (!DOCUMENT_TYPES.has(type) && !PRINCIPAL_TYPES.has(type) && !SAM_TYPES.has(type)) continue;
    const properties = valueOf(resource, 'Properties');
    if (!isMap(properties) || intrinsicName(properties) !== undefined) continue;
    if (SAM_TYPES.has(type)) policies.push(...samPolicies(text, json, logicalId, type, properties));
    else if (DOCUMENT_TYPES.has(type)) {
      const id = `Resources.${logicalId}.Properties.PolicyDocument`;
      const label = `${logicalId} (${type})`;
      const nameNode = valueOf(properties, type === 'AWS::IAM::ManagedPolicy' ? 'ManagedPolicyName' : 'PolicyName');
      const policyName = isScalar(nameNode) && intrinsicName(nameNode) === undefined && typeof nameNode.value === 'string' ? nameNode.value : undefined;
      const shared = type === 'AWS::IAM::Policy' ? sharedInline(text, properties) : undefined;
      const found =
        shared !== undefined
          ? refused(id, label, logicalId, shared, valueOf(properties, 'PolicyDocument'))
          : candidate(text, id, label, logicalId, policyName, valueOf(properties, 'PolicyDocument'));
      if (found !== undefined) policies.push(found);
    } else policies.push(...inlinePolicies(text, logicalId, type, valueOf(properties, 'Policies')));
  }
  return { doc, text, json, policies };
}

/**
 * An `AWS::IAM::Policy` is an inline policy of each role, user and group it lists: IAM holds one
 * copy per principal, so the snapshot cannot tell they are one. Trimmed for one role it would take
 * from the others; the reason it is refused, or undefined when it has one principal.
 */
function sharedInline(text: string, properties: YAMLMap): string | undefined {
  const principals: string[] = [];
  for (const key of ['Roles', 'Users', 'Groups']) {
    const list = valueOf(properties, key);
    if (list === undefined || list === null) continue;
    const name = intrinsicName(list);
    if (!isSeq(list) || name !== undefined) return `its ${key} list is built with ${name ?? 'something other than a list'}, so who else has it is unknown`;
    for (const item of list.items) {
      principals.push(
        isScalar(item) && intrinsicName(item) === undefined
          ? String(item.value)
          : intrinsicName(item) !== undefined
            ? intrinsicSource(text, item as Node)
            : '?',
      );
    }
  }
  if (principals.length <= 1) return undefined;
  return `it is an inline policy of ${principals.length} principals (${principals.join(', ')}); trimmed for one it would take from the others`;
}

/**
 * A SAM function's (or state machine's) `Policies`: SAM makes each inline document and each policy
 * template item an inline policy of the role it creates; managed policy names are attachments.
 * With `Role` set SAM ignores `Policies`, so there is nothing to match.
 */
function samPolicies(text: string, json: boolean, logicalId: string, type: string, properties: YAMLMap): TemplatePolicy[] {
  if (valueOf(properties, 'Role') !== undefined) return [];
  const policies = valueOf(properties, 'Policies');
  if (policies === undefined || policies === null) return [];
  const base = `Resources.${logicalId}.Properties.Policies`;
  const short = type.replace('AWS::Serverless::', 'Serverless::');
  const list = isSeq(policies) && intrinsicName(policies) === undefined;
  const items = list ? policies.items : [policies];
  const out: TemplatePolicy[] = [];
  items.forEach((item, i) => {
    const id = list ? `${base}[${i}]` : base;
    // The name SAM gives the inline policy: the role it creates is `<logical id>Role`.
    const policyName = `${logicalId}RolePolicy${i}`;
    const label = `${logicalId} (${short}) Policies${list ? `[${i}]` : ''}`;
    const name = intrinsicName(item);
    if (isScalar(item) && name === undefined) return; // a managed policy name or ARN
    let found: TemplatePolicy | undefined;
    if (name !== undefined) found = refused(id, label, logicalId, `the item is built with ${name}`, item);
    else if (isMap(item) && valueOf(item, 'Statement') !== undefined) found = candidate(text, id, label, logicalId, policyName, item);
    else {
      const template = isMap(item) && item.items[0] !== undefined ? keyName(item.items[0]) : undefined;
      found = candidate(text, id, template === undefined ? label : `${label} ${template}`, logicalId, policyName, item, () =>
        readSamTemplateItem(text, json, item),
      );
    }
    if (found !== undefined) out.push(found);
  });
  return out;
}

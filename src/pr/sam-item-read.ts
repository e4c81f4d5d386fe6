/**
 * Reads an AWS SAM policy template item of a function's `Policies` (`DynamoDBCrudPolicy:
 * {TableName: !Ref Orders}`) as the inline policy the SAM translator makes of it, from iamtrim's
 * table of templates: the stack's pseudo parameters and every parameter given by an intrinsic are
 * expression marks, so the item matches the policy IAM holds. Each expanded resource maps back to
 * a `!Sub` that CloudFormation evaluates to the same ARN, for the rewrite to keep.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { PolicyDocument, Statement } from '../model.js';
import { POLICY_VERSION } from '../policy/canonical.js';
import { samTemplate } from '../policy/sam-templates.js';
import { intrinsicName, intrinsicSource, intrinsicString, keyName, mark, Refusal, type ReadState } from './cloudformation-read.js';
import type { PolicyRead } from './read-policy.js';

const PLACEHOLDER = /\$\{([A-Za-z:]+)\}/g;

interface Parameter {
  /** The value as read: literal, or with marks for what the stack resolves. */
  value: string;
  /** The intrinsic's source text; undefined for a literal. */
  source: string | undefined;
}

function yamlQuoted(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `!Sub` (or `{"Fn::Sub": ...}` in JSON) that evaluates `pattern` with the intrinsic parameters as variables. */
function subSource(pattern: string, parameters: ReadonlyMap<string, Parameter>, json: boolean): string {
  const variables: Array<[string, string]> = [];
  const template = pattern.replace(PLACEHOLDER, (whole, name: string) => {
    const p = parameters.get(name);
    if (p === undefined) return whole;
    if (p.source === undefined) return p.value;
    variables.push([name, p.source]);
    return whole;
  });
  if (json) {
    return variables.length === 0
      ? `{"Fn::Sub": ${JSON.stringify(template)}}`
      : `{"Fn::Sub": [${JSON.stringify(template)}, {${variables.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}]}`;
  }
  return variables.length === 0 ? `!Sub ${yamlQuoted(template)}` : `!Sub [${yamlQuoted(template)}, {${variables.map(([k, v]) => `${k}: ${v}`).join(', ')}}]`;
}

/** The inline policy a SAM policy template item expands to, with marks; throws a Refusal when it cannot be read. */
export function readSamTemplateItem(text: string, json: boolean, item: unknown): Omit<PolicyRead, 'target'> {
  if (!isMap(item) || item.items.length !== 1 || item.items[0] === undefined)
    throw new Refusal('an item that is neither a policy document nor one SAM policy template');
  const pair = item.items[0];
  const name = keyName(pair) ?? '';
  const definition = samTemplate(name);
  if (definition === undefined) throw new Refusal(`SAM policy template ${name} is not in iamtrim's table, so what it grants is unknown`);
  const state: ReadState = { text, expressions: new Map(), marks: 0 };
  const parameters = new Map<string, Parameter>();
  const given = pair.value;
  if (given !== null && given !== undefined && !(isScalar(given) && given.value === null)) {
    if (!isMap(given) || intrinsicName(given) !== undefined) throw new Refusal(`the parameters of ${name} are not a mapping`);
    for (const p of given.items) {
      const key = keyName(p);
      const value = p.value;
      if (key === undefined) throw new Refusal(`a parameter of ${name} has no plain name`);
      const inner = intrinsicName(value);
      if (inner !== undefined && (isScalar(value) || isMap(value) || isSeq(value))) {
        parameters.set(key, { value: intrinsicString(state, value, inner), source: intrinsicSource(text, value) });
      } else if (isScalar(value) && (typeof value.value === 'string' || typeof value.value === 'number')) {
        parameters.set(key, { value: String(value.value), source: undefined });
      } else throw new Refusal(`parameter ${key} of ${name} is neither a literal nor an intrinsic iamtrim reads`);
    }
  }
  const missing = Object.keys(definition.parameters).filter((p) => !parameters.has(p));
  if (missing.length > 0) throw new Refusal(`${name} is missing parameter ${missing.join(', ')}`);
  const pseudo = new Map(['AWS::Partition', 'AWS::Region', 'AWS::AccountId'].map((p) => [p, mark(state)]));
  const statements: Statement[] = definition.statements.map((s) => ({
    Effect: 'Allow',
    Action: [...s.Action],
    Resource: s.Resource.map((pattern) => {
      const value = pattern.replace(PLACEHOLDER, (_, p: string) => pseudo.get(p) ?? parameters.get(p)?.value ?? '');
      if (value.includes('\uE000')) state.expressions.set(value, subSource(pattern, parameters, json));
      return value;
    }),
  }));
  const document: PolicyDocument = { Version: POLICY_VERSION, Statement: statements };
  return { document, expressions: state.expressions };
}

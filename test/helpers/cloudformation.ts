/**
 * Test side of CloudFormation templates, independent of src/pr: the short-form tags as a `yaml`
 * custom tags list (so a template parses without warnings, each `!Sub x` read as `{Fn::Sub: x}`),
 * and a resolver that evaluates intrinsic functions the way CloudFormation would for one
 * plausible stack, to write the policy "as IAM has it" and to read the rewritten file back.
 */
import { parseDocument, YAMLMap, type Document, type ScalarTag, type CollectionTag } from 'yaml';
import type { PolicyDocument, PolicyShare, Statement } from '../../src/model.js';

const NAMES = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'Join',
  'Select',
  'Split',
  'ImportValue',
  'If',
  'FindInMap',
  'Base64',
  'GetAZs',
  'Equals',
  'Not',
  'And',
  'Or',
  'Cidr',
];

function keyOf(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

export const CFN_TAGS: Array<ScalarTag | CollectionTag> = NAMES.flatMap((name): Array<ScalarTag | CollectionTag> => {
  const wrap = (value: unknown): YAMLMap => {
    const map = new YAMLMap();
    map.set(keyOf(name), value);
    return map;
  };
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [keyOf(name)]: name === 'GetAtt' ? value.split('.') : value }) },
    { tag: `!${name}`, collection: 'seq', resolve: wrap },
    { tag: `!${name}`, collection: 'map', resolve: wrap },
  ];
});

/** Parses a template as CloudFormation does (YAML 1.1, its tags); throws on any error or warning. */
export function parseCfn(text: string): Document {
  const doc = parseDocument(text, { customTags: CFN_TAGS, version: '1.1', uniqueKeys: false });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('\n'));
  return doc;
}

export const ACCOUNT = '123456789012';
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'app-stack',
};

function getAtt(resource: string, attribute: string): string {
  return attribute === 'Arn' ? `arn:aws:test:eu-west-1:${ACCOUNT}:resource/${resource}` : `${resource}-${attribute.toLowerCase()}`;
}

function ref(name: string): string {
  return PSEUDO[name] ?? (/Arns?$/.test(name) ? `arn:aws:test:eu-west-1:${ACCOUNT}:param/${name}` : name.toLowerCase());
}

/** A template value with every intrinsic evaluated for one made-up stack (eu-west-1, account 123456789012). */
export function resolveCfn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveCfn);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
    switch (key) {
      case 'Ref':
        return ref(String(arg));
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return getAtt(resource ?? '', attribute ?? '');
      }
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? [String(arg[0]), resolveCfn(arg[1]) as Record<string, string>] : [String(arg), {}];
        return template.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
          if (bang === '!') return `\${${name}}`;
          if (vars[name] !== undefined) return vars[name];
          const dot = name.indexOf('.');
          return dot > 0 && !name.startsWith('AWS::') ? getAtt(name.slice(0, dot), name.slice(dot + 1)) : ref(name);
        });
      }
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown];
        return (resolveCfn(parts) as string[]).join(delimiter);
      }
      case 'Fn::ImportValue':
        return `arn:aws:test:eu-west-1:${ACCOUNT}:import/${String(resolveCfn(arg))}`;
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolveCfn(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return String(resolveCfn(source)).split(delimiter);
      }
      default:
        throw new Error(`test resolver: ${key} is not evaluated`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveCfn(v)]));
}

/** The template as plain values (intrinsics as `{Fn::Sub: ...}`): JSON.parse for JSON, YAML 1.1 with the tags otherwise. */
export function plain(file: string, text: string): unknown {
  return file.endsWith('.json') ? JSON.parse(text) : parseCfn(text).toJS();
}

export function at(value: unknown, path: ReadonlyArray<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}

/** The source span of the document at `path` (end without trailing whitespace), from the yaml parser. */
export function span(text: string, path: ReadonlyArray<string | number>): [number, number] {
  const node = parseDocument(text, { customTags: CFN_TAGS, uniqueKeys: false }).getIn(path, true) as { range?: [number, number, number] } | undefined;
  const range = node?.range;
  if (range === undefined) throw new Error(`no node at ${path.join('.')}`);
  const end = range[1] - (/\s*$/.exec(text.slice(range[0], range[1]))?.[0].length ?? 0);
  return [range[0], end];
}

export function dropActions(doc: PolicyDocument, drop: readonly string[]): PolicyDocument {
  const gone = new Set(drop.map((a) => a.toLowerCase()));
  const statements = doc.Statement.flatMap((s): Statement[] => {
    if (s.Action === undefined) return [s];
    const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => !gone.has(a.toLowerCase()));
    if (actions.length === 0) return [];
    return [{ ...s, Action: Array.isArray(s.Action) ? actions : (actions[0] ?? '') }];
  });
  return { Version: doc.Version ?? '2012-10-17', Statement: statements };
}

export function share(current: PolicyDocument, proposed: PolicyDocument): PolicyShare {
  return { kind: 'inline', name: 'p', awsManaged: false, change: 'edit', current, proposed, grantedActions: 2, keptActions: 1, removedActions: [] };
}

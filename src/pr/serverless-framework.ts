/**
 * Finds the IAM statements lists of a Serverless Framework `serverless.yml` where `pr` would
 * rewrite them: `provider.iam.role.statements` (v3+), the older `provider.iamRoleStatements`, and
 * `functions.<name>.iamRoleStatements` (the serverless-iam-roles-per-function plugin), each with
 * the role the framework makes from it and why the framework would ignore it, and the files its
 * `${file(...)}` items come from. Reading one list's statements is serverless-read.ts.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLSeq } from 'yaml';
import { InputError } from '../errors.js';

/** One statements list of the file, and the role the framework makes from it. */
export interface ServerlessList {
  /** What `--resource` names: `provider` or `functions.<name>`. */
  resource: string;
  /** Where it is: `provider.iam.role.statements`. */
  path: string;
  /** The function, for a per-function role. */
  fn?: string;
  /** The role name the framework gives it, `.+` standing for what only a deploy knows (stage, region). */
  roleName: RegExp;
  /** Set when the list exists but the framework does not use it as written (why, in one line). */
  ignored?: string;
  node?: YAMLSeq;
  /** Start of the key (`statements:`), for messages and an empty list. */
  keyStart: number;
  /** iamRoleStatementsInherit: the provider's list, whose statements this function's role has too. */
  inherits?: ServerlessList;
}

export interface ServerlessFile {
  doc: Document;
  lists: ServerlessList[];
}

function parse(text: string): Document | undefined {
  const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: false, version: '1.1' });
  return doc.errors.length > 0 ? undefined : doc;
}

export function get(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === key);
}

export function literal(node: unknown): string | undefined {
  return isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? String(node.value) : undefined;
}

/** A `serverless.yml`: YAML whose top level has `service` and `provider` (a CloudFormation/SAM template has neither). */
export function isServerlessConfig(file: string, text: string): boolean {
  if (!/\.ya?ml$/i.test(file)) return false;
  const doc = parse(text);
  return (
    doc !== undefined &&
    get(doc.contents, 'service') !== undefined &&
    get(doc.contents, 'provider') !== undefined &&
    get(doc.contents, 'Resources') === undefined
  );
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A name as written, variables standing for any text. */
function namePattern(parts: ReadonlyArray<string | undefined>): RegExp {
  return new RegExp(`^${parts.map((p) => (p === undefined || /[$#]\{/.test(p) ? '.+' : escape(p))).join('-')}$`);
}

/** `service: name` or `service: { name: ... }`. */
function serviceName(doc: Document): string | undefined {
  const value = get(doc.contents, 'service')?.value;
  return literal(value) ?? literal(get(value, 'name')?.value);
}

function pluginNames(doc: Document): string[] {
  const plugins = get(doc.contents, 'plugins')?.value;
  const list = isSeq(plugins) ? plugins : get(plugins, 'modules')?.value;
  return isSeq(list) ? list.items.map(literal).filter((p): p is string => p !== undefined) : [];
}

function keyStart(pair: Pair): number {
  return isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
}

function asList(file: string, path: string, pair: Pair): YAMLSeq | string {
  const value = pair.value;
  if (isSeq(value)) return value.flow === true ? `${path} is a flow-style list ([...]); iamtrim rewrites block lists only` : value;
  if (isScalar(value) && typeof value.value === 'string' && /\$\{/.test(value.value)) {
    return `${path} is ${value.value}: the statements come from a variable iamtrim cannot follow`;
  }
  return `${path} is not a list of statements`;
}

/** Every statements list of the file, with the role the framework makes from each. */
export function serverlessFile(file: string, text: string): ServerlessFile {
  const doc = parse(text);
  if (doc === undefined) throw new InputError(`${file}: not valid YAML`);
  const service = serviceName(doc);
  const provider = get(doc.contents, 'provider')?.value;
  const stage = literal(get(provider, 'stage')?.value);
  const region = literal(get(provider, 'region')?.value);
  const lists: ServerlessList[] = [];
  const iamRole = get(get(provider, 'iam')?.value, 'role')?.value;
  const customRole = get(provider, 'role') !== undefined || (iamRole !== undefined && !isMap(iamRole));
  const providerName = literal(get(iamRole, 'name')?.value);
  const providerRole = providerName !== undefined ? namePattern([providerName]) : namePattern([service, stage, region, 'lambdaRole']);
  for (const [pair, path] of [
    [get(iamRole, 'statements'), 'provider.iam.role.statements'],
    [get(provider, 'iamRoleStatements'), 'provider.iamRoleStatements'],
  ] as const) {
    if (pair === undefined) continue;
    const list = asList(file, path, pair);
    const shadowed =
      path === 'provider.iamRoleStatements' && lists.length > 0
        ? 'provider.iam.role.statements is set, so the framework ignores provider.iamRoleStatements'
        : undefined;
    const ignored = customRole
      ? `provider sets a role of its own, so the framework ignores ${path}`
      : (shadowed ?? (typeof list === 'string' ? list : undefined));
    lists.push({
      resource: 'provider',
      path,
      roleName: providerRole,
      keyStart: keyStart(pair),
      ...(typeof list === 'string' ? {} : { node: list }),
      ...(ignored !== undefined ? { ignored } : {}),
    });
  }
  const perFunction = pluginNames(doc).includes('serverless-iam-roles-per-function');
  const defaultSetting = get(get(get(doc.contents, 'custom')?.value, 'serverless-iam-roles-per-function')?.value, 'defaultInherit')?.value;
  const defaultInherit = isScalar(defaultSetting) && defaultSetting.value === true;
  const functions = get(doc.contents, 'functions')?.value;
  for (const item of isMap(functions) ? functions.items : []) {
    const fn = literal(item.key);
    const pair = get(item.value, 'iamRoleStatements');
    if (fn === undefined || pair === undefined) continue;
    const path = `functions.${fn}.iamRoleStatements`;
    const list = asList(file, path, pair);
    const custom = literal(get(item.value, 'iamRoleStatementsName')?.value);
    const own = get(item.value, 'iamRoleStatementsInherit')?.value;
    const inherit = isScalar(own) && typeof own.value === 'boolean' ? own.value : defaultInherit;
    const inherits = inherit ? lists.find((l) => l.resource === 'provider' && l.ignored === undefined) : undefined;
    const ignored = !perFunction
      ? `${path}: serverless-iam-roles-per-function is not in plugins, so the framework ignores function-level statements`
      : get(item.value, 'role') !== undefined
        ? `${path}: the function also sets role, which the per-function plugin refuses`
        : inherit && inherits === undefined && lists.some((l) => l.resource === 'provider')
          ? `${path}: iamRoleStatementsInherit adds provider statements iamtrim cannot read to this role`
          : typeof list === 'string'
            ? list
            : undefined;
    lists.push({
      resource: `functions.${fn}`,
      path,
      fn,
      roleName: custom !== undefined ? namePattern([custom]) : namePattern([service, stage, fn, region, 'lambdaRole']),
      keyStart: keyStart(pair),
      ...(typeof list === 'string' ? {} : { node: list }),
      ...(ignored !== undefined ? { ignored } : {}),
      ...(inherits !== undefined ? { inherits } : {}),
    });
  }
  return { doc, lists };
}

export const INCLUDE = /^\$\{file\(\s*([^)\s$]+)\s*\):([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\}$/;

/** `path` of a `${file(path)}` in `file`, relative to the repository; undefined when it leaves it. */
export function includePath(file: string, path: string): string | undefined {
  if (path.startsWith('/')) return undefined;
  const parts = file.split('/').slice(0, -1);
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** The files the file's lists take whole statements from (`- ${file(path):key}`), relative to the repository. */
export function serverlessIncludes(file: string, text: string): string[] {
  const out = new Set<string>();
  for (const list of serverlessFile(file, text).lists) {
    for (const item of list.node?.items ?? []) {
      const m = isScalar(item) && typeof item.value === 'string' ? INCLUDE.exec(item.value) : null;
      const path = m === null ? undefined : includePath(file, m[1] ?? '');
      if (path !== undefined) out.add(path);
    }
  }
  return [...out];
}

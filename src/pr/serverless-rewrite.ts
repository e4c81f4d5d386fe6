/**
 * Writes a policy's share into the statements list of a `serverless.yml` as a pure function of the
 * text: only the list's own lines change, every other byte of the file stays as it was. What the
 * framework's own statements already grant (logging, stream reads: serverless-match.ts) is left out,
 * since the framework writes it again on deploy. Where the share keeps exactly the value an
 * expression stood for (`!GetAtt Table.Arn`, `${self:custom.arn}`), the expression is written back.
 */
import { stringify } from 'yaml';
import { InputError, InternalError } from '../errors.js';
import { asList, wildcardRegExp } from '../iam/expand.js';
import type { PolicyDocument, Statement } from '../model.js';
import { EXPRESSION_MARK } from './hcl-value.js';
import type { FileRewrite } from './rewrite.js';
import { serverlessFile, type ServerlessList } from './serverless-framework.js';
import { readServerlessList, type IncludedStatement } from './serverless-read.js';
import { expressionTokens } from './expression-tokens.js';

/** `pattern` grants every expansion of `value` (a `?` in the pattern could not stand for a `*` of the value). */
function covers(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (/[*?]/.test(value) && pattern.includes('?')) return false;
  return wildcardRegExp(pattern, caseInsensitive).test(value);
}

function plainAllow(s: Statement): boolean {
  return (
    s.Effect === 'Allow' &&
    s.NotAction === undefined &&
    s.NotResource === undefined &&
    s.Resource !== undefined &&
    (s.Condition === undefined || Object.keys(s.Condition).length === 0)
  );
}

/** The statements without the actions the framework's own statements grant on all their resources. */
export function withoutFrameworkGrants(statements: readonly Statement[], framework: readonly Statement[]): Statement[] {
  const grants = framework.filter(plainAllow);
  const out: Statement[] = [];
  for (const s of statements) {
    if (!plainAllow(s) || grants.length === 0) {
      out.push(s);
      continue;
    }
    const resources = asList(s.Resource);
    const kept = asList(s.Action).filter(
      (action) =>
        !resources.every((resource) =>
          grants.some((g) => asList(g.Action).some((p) => covers(p, action, true)) && asList(g.Resource).some((p) => covers(p, resource, false))),
        ),
    );
    if (kept.length === 0) continue;
    out.push({ ...s, Action: kept.length === 1 ? (kept[0] as string) : kept });
  }
  return out;
}

const KEY_ORDER = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const;

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** How the file indents: its list items under a key (`key:\n  - a` vs `key:\n- a`) and its mapping step. */
function styleOf(text: string, list: ServerlessList): { indentSeq: boolean; indent: number } {
  const span = text.slice(list.node?.range?.[0] ?? 0, list.node?.range?.[1] ?? 0);
  const nested = /\n([ \t]*)[A-Za-z]+:[ \t]*(?:#.*)?\r?\n([ \t]*)- /.exec(span);
  const indentSeq = nested === null || (nested[2] ?? '').length > (nested[1] ?? '').length;
  const mapping = /\n([ \t]*)Condition:[ \t]*\r?\n([ \t]*)\S/.exec(span);
  const indent = mapping === null ? 2 : Math.max(1, (mapping[2] ?? '').length - (mapping[1] ?? '').length);
  return { indentSeq, indent };
}

/** Where a list is written: the list, the framework's own statements, the statements it takes from other files. */
export interface ServerlessTarget {
  list: ServerlessList;
  framework: readonly Statement[];
  read?: { included: readonly IncludedStatement[]; expressions?: ReadonlyMap<string, string> };
  includes?: ReadonlyMap<string, string>;
}

/** Whether `doc` still grants every action on every resource of `s` (Allows without conditions). */
function keeps(doc: PolicyDocument, s: Statement): { action: string; resource: string } | undefined {
  const grants = doc.Statement.filter(plainAllow);
  for (const action of asList(s.Action)) {
    for (const resource of asList(s.Resource)) {
      if (!grants.some((g) => asList(g.Action).some((p) => covers(p, action, true)) && asList(g.Resource).some((p) => covers(p, resource, false))))
        return { action, resource };
    }
  }
  return undefined;
}

/**
 * `doc`'s statements into the list; `expressions`: literal -> the file's expression source. A
 * statement the list takes from another file stays a reference, written as it was: refused when
 * `doc` drops part of it (iamtrim does not edit a file other services may share).
 */
export function rewriteServerlessList(
  file: string,
  text: string,
  target: ServerlessTarget,
  doc: PolicyDocument,
  expressions: ReadonlyMap<string, string>,
): FileRewrite {
  const { list, framework } = target;
  const included = target.read?.included ?? [];
  for (const i of included) {
    const dropped = keeps(doc, i.statement);
    if (dropped !== undefined) {
      const shown = (v: string): string => target.read?.expressions?.get(v) ?? v.replace(/\uE000\uE001\d+\uE002/g, '${...}');
      if (i.from === 'provider') {
        throw new InputError(
          `${file} ${list.path}: ${i.source} (iamRoleStatementsInherit) grants ${shown(dropped.action)} on ${shown(dropped.resource)}, which the share drops; the provider's list is the default role's too`,
          {
            hint: 'trim the provider statements with --resource provider for the default role, or set iamRoleStatementsInherit: false and copy what this function needs',
          },
        );
      }
      throw new InputError(
        `${file} ${list.path}: ${i.source} grants ${shown(dropped.action)} on ${shown(dropped.resource)}, which the share drops; iamtrim does not edit ${i.path}, which other services may include too`,
        {
          hint: `edit ${i.path} by hand, or copy the statement into the list so iamtrim can trim it`,
        },
      );
    }
  }
  const node = list.node;
  const range = node?.range;
  if (node === undefined || range === undefined || range === null) throw new InternalError(`${file} ${list.path}: no list to rewrite`);
  const tokens = expressionTokens(expressions);
  const token = tokens.token;
  const tokenValue = (v: string | number | boolean): string | number | boolean => (typeof v === 'string' ? token(v) : v);
  const own = doc.Statement.filter((s) => !included.some((i) => i.statement === s));
  const statements = withoutFrameworkGrants(own, [...framework, ...included.map((i) => i.statement)]).map((s) => {
    const out: Record<string, unknown> = {};
    for (const key of KEY_ORDER) {
      const value = s[key];
      if (value === undefined) continue;
      if (key === 'Condition') {
        out[key] = Object.fromEntries(
          Object.entries(s.Condition ?? {}).map(([op, block]) => [
            op,
            Object.fromEntries(
              Object.entries(block).map(([k, v]) => [
                token(k),
                Array.isArray(v) ? (v as ReadonlyArray<string | number | boolean>).map(tokenValue) : tokenValue(v as string | number | boolean),
              ]),
            ),
          ]),
        );
      } else out[key] = key === 'Sid' || key === 'Effect' ? value : asList(value as string | string[]).map(token);
    }
    return out;
  });
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const { indentSeq, indent } = styleOf(text, list);
  const column = range[0] - lineStart(text, range[0]);
  const start = lineStart(text, range[0]);
  const end = range[1];
  let content: string;
  const references = included.filter((i) => i.from === 'file').map((i) => `- ${i.source}`);
  const inherited = included.length - references.length;
  if (statements.length === 0 && references.length === 0 && list.fn !== undefined) {
    throw new InputError(
      `${file} ${list.path}: everything the share keeps is granted by the framework's own statements${inherited > 0 ? " and the provider's" : ''}, and an empty list would make the per-function plugin give ${list.fn} the default role instead`,
      {
        hint: `remove iamRoleStatements from ${list.fn} by hand if the default role is what it should have`,
      },
    );
  }
  if (statements.length === 0 && references.length === 0) {
    // Nothing beyond what the framework writes itself: an empty list on the key's line.
    const colon = text.indexOf(':', list.keyStart);
    content = `${text.slice(0, colon + 1)} []${eol}${text.slice(end)}`;
  } else {
    let body = statements.length === 0 ? '' : stringify(statements, { indent, indentSeq, lineWidth: 0, version: '1.1' });
    body = tokens.restore(body);
    const lines = [...references, ...(body === '' ? [] : body.replace(/\n$/, '').split('\n'))].map((line) => ' '.repeat(column) + line);
    const tail = /\r?\n$/.test(text.slice(start, end)) ? eol : '';
    content = text.slice(0, start) + lines.join(eol) + tail + text.slice(end);
  }
  check(file, content, list, references.length + statements.length, inherited, target.includes ?? new Map());
  return { content, target: list.path };
}

/** The written file parses and the list reads back with the statements written: else a bug, never a half-written file. */
function check(file: string, content: string, list: ServerlessList, count: number, inherited: number, includes: ReadonlyMap<string, string>): void {
  try {
    if (content.includes(EXPRESSION_MARK)) throw new Error('an expression mark was left in the text');
    const again = serverlessFile(file, content).lists.find((l) => l.path === list.path);
    if (again === undefined) throw new Error(`${list.path} is gone`);
    const read = count === 0 ? 0 : readServerlessList(file, content, again, includes).document.Statement.length - inherited;
    if (read !== count) throw new Error(`${list.path} reads back ${read} statements, ${count} written`);
  } catch (error) {
    throw new InternalError(`${file}: the rewritten ${list.path} does not read back (${(error as Error).message}); nothing was written`);
  }
}

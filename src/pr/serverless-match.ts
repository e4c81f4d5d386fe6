/**
 * Proves which statements list of a `serverless.yml` is the role's policy. The framework writes the
 * list into the role's inline policy `<service>-<stage>-lambda` next to statements of its own
 * (logging, stream and queue reads, tracing: data/serverless-framework-statements.json), so the
 * list matches a policy when each of its statements pairs (canonicalised, expressions matching any
 * text, as match-policy.ts does) with a distinct statement of the policy and every statement left
 * over is one the framework writes. Several lists that match are told apart by the role name the
 * framework gives each (`<service>-<stage>-<region>-lambdaRole`, the function's name inserted for
 * a per-function role, or the name the file sets).
 */
import { InputError, UsageError } from '../errors.js';
import { asList } from '../iam/expand.js';
import type { PolicyShare, Statement } from '../model.js';
import table from './data/serverless-framework-statements.json' with { type: 'json' };
import { EXPRESSION_MARK, matchesRead } from './hcl-value.js';
import { dedupe, matchPolicy, pairAll, pairStatements } from './match-policy.js';
import { serverlessFile, type ServerlessList } from './serverless-framework.js';
import { readServerlessList, type ServerlessRead } from './serverless-read.js';

const SHAPES = table.rows.map((row) => ({ effect: row.effect, actions: [...new Set(row.actions.map((a) => a.toLowerCase()))].sort().join(' ') }));

/** A statement the framework writes itself (any resource, no condition). */
export function isFrameworkStatement(s: Statement): boolean {
  if (s.NotAction !== undefined || s.NotResource !== undefined || (s.Condition !== undefined && Object.keys(s.Condition).length > 0)) return false;
  const actions = [...new Set(asList(s.Action).map((a) => a.toLowerCase()))].sort().join(' ');
  return SHAPES.some((shape) => shape.effect === s.Effect && shape.actions === actions);
}

export interface ServerlessMatch {
  share: PolicyShare;
  read: ServerlessRead;
  /** literal value in IAM -> expression source text in the file */
  expressions: Map<string, string>;
  list: ServerlessList;
  /** The policy's statements the framework writes itself (the ones no statement of the file pairs with). */
  framework: Statement[];
  /** The files `- ${file(path):key}` statements were followed to (see serverlessIncludes). */
  includes: ReadonlyMap<string, string>;
}

const PHANTOM = Symbol('framework statement');

/** The file's statements paired with the policy's, the rest framework statements; undefined when they differ. */
function matchList(read: ServerlessRead, list: ServerlessList, share: PolicyShare, includes: ReadonlyMap<string, string>): ServerlessMatch | undefined {
  const mine = dedupe(read.document.Statement);
  const theirs = dedupe(share.current.Statement);
  if (mine.length > theirs.length) return undefined;
  const left: Array<Statement | typeof PHANTOM> = [...mine, ...new Array<typeof PHANTOM>(theirs.length - mine.length).fill(PHANTOM)];
  const framework: Statement[] = [];
  const pairs = pairAll(left, theirs, (a, b): Array<[string, string] | Statement> | undefined => {
    if (a !== PHANTOM) return pairStatements(a, b);
    return isFrameworkStatement(b) ? [b] : undefined;
  });
  if (pairs === undefined) return undefined;
  const expressions = new Map<string, string>();
  for (const pair of pairs) {
    if (!Array.isArray(pair)) {
      framework.push(pair);
      continue;
    }
    const [fileValue, literal] = pair;
    const source = read.expressions.get(fileValue);
    if (source !== undefined) expressions.set(literal, source);
  }
  for (const mine of read.document.Statement) conditionExpressions(mine, theirs, read.expressions, expressions);
  return { share, read, expressions, list, framework, includes };
}

/** Expressions inside a statement's Condition (keys and values): paired with the literal IAM holds where one literal fits. */
function conditionExpressions(mine: Statement, theirs: readonly Statement[], sources: ReadonlyMap<string, string>, out: Map<string, string>): void {
  if (mine.Condition === undefined || !JSON.stringify(mine.Condition).includes(EXPRESSION_MARK)) return;
  const literal = theirs.find((t) => pairStatements(mine, t) !== undefined)?.Condition;
  if (literal === undefined) return;
  const record = (read: string, candidates: readonly string[]): void => {
    const source = sources.get(read);
    const fits = candidates.filter((c) => matchesRead(read, c));
    if (source !== undefined && fits.length === 1 && fits[0] !== undefined) out.set(fits[0], source);
  };
  for (const [op, block] of Object.entries(mine.Condition)) {
    const theirBlock = literal[op] ?? {};
    for (const [key, value] of Object.entries(block)) {
      record(key, Object.keys(theirBlock));
      const theirKey = Object.keys(theirBlock).find((k) => matchesRead(key, k));
      const theirValues = theirKey === undefined ? [] : asList(theirBlock[theirKey]).map(String);
      for (const v of asList(value)) if (typeof v === 'string') record(v, theirValues);
    }
  }
}

function label(share: PolicyShare): string {
  return `${share.name} (${share.kind})`;
}

/**
 * The list of `file` that is one of the role's inline policies, and that policy's share. `resource`
 * (`provider`, `functions.NAME` or `NAME`) chooses the list; without it every list is tried.
 */
export function matchServerless(
  file: string,
  text: string,
  resource: string | undefined,
  roleName: string,
  shares: readonly PolicyShare[],
  includes: ReadonlyMap<string, string> = new Map(),
): ServerlessMatch {
  const { lists } = serverlessFile(file, text);
  const inline = shares.filter((s) => s.kind === 'inline');
  const all = shares.map(label).join(', ') || 'none';
  let candidates = lists;
  if (resource !== undefined) {
    const wanted = resource === 'provider' || resource.startsWith('functions.') ? resource : `functions.${resource}`;
    candidates = lists.filter((l) => l.resource === wanted);
    if (candidates.length === 0) {
      throw new UsageError(`--resource ${resource}: ${file} has no statements list there`, {
        hint: `lists: ${[...new Set(lists.map((l) => l.resource))].join(', ') || 'none'}`,
      });
    }
  }
  const usable = candidates.filter((l) => l.ignored === undefined);
  if (usable.length === 0) {
    const first = candidates[0];
    if (first?.ignored !== undefined)
      throw new InputError(`${file}: ${first.ignored}`, { hint: 'point --file (and --resource) at the statements the framework deploys for the role' });
    throw new InputError(`${file}: no provider.iam.role.statements, provider.iamRoleStatements or functions.*.iamRoleStatements`, {
      hint: "point --file at the serverless.yml that defines the role's statements",
    });
  }
  const matches: ServerlessMatch[] = [];
  let failure: InputError | undefined;
  let closest: { list: ServerlessList; share: PolicyShare; similarity: number } | undefined;
  for (const list of usable) {
    let read: ServerlessRead;
    try {
      read = readServerlessList(file, text, list, includes);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      failure ??= error;
      continue;
    }
    const found = inline.map((share) => matchList(read, list, share, includes)).filter((m): m is ServerlessMatch => m !== undefined);
    matches.push(...found);
    const near = matchPolicy(read, shares);
    if (!near.matched && near.closest !== undefined && (closest === undefined || near.similarity > closest.similarity))
      closest = { list, share: near.closest, similarity: near.similarity };
  }
  if (matches.length === 0) {
    if (failure !== undefined) throw failure;
    const near =
      closest === undefined
        ? ''
        : `; closest: ${closest.list.path} and ${label(closest.share)}, ${Math.round(closest.similarity * 100)}% of action entries shared`;
    throw new InputError(`--file ${file}: no statements list in it is one of ${roleName}'s inline policies${near}; ${roleName} has ${all}`, {
      hint: "point --file (and --resource) at the statements as deployed today; pr writes only a policy it can prove is the role's (re-export iam.json if the file was deployed since)",
    });
  }
  const named = matches.filter((m) => m.list.roleName.test(roleName));
  const chosen = named.length > 0 ? named : matches;
  const resources = [...new Set(chosen.map((m) => m.list.resource))];
  if (resources.length > 1) {
    throw new UsageError(`--file ${file}: ${resources.length} statements lists match ${roleName}'s policy: pass --resource to choose one`, {
      hint: `one of: ${resources.join(', ')}`,
    });
  }
  // Two inline policies with the same statements: the one the framework names <service>-<stage>-lambda.
  return chosen.find((m) => /-lambda$/.test(m.share.name)) ?? (chosen[0] as ServerlessMatch);
}

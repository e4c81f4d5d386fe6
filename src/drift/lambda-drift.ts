/**
 * The serverless view of a drift report: roles grouped by the Lambda functions that run as them
 * (people think in functions; a shared role changes them all), and the seed-era anti-patterns
 * named statement by statement: `Action: "*"` on `Resource: "*"`, `service:*`, and the SAM policy
 * templates AWS recommends avoiding (recognised from their expansion in the role's policies).
 */
import { z } from 'zod';
import type { DriftReport } from './report.js';
import { asList } from '../iam/expand.js';
import type { IamSnapshot, RoleGrant, Statement } from '../model.js';
import table from './data/anti-patterns.json' with { type: 'json' };
import type { LambdaFunction } from '../iam/lambda-functions.js';
import { SAM_TEMPLATES, type SamTemplate } from '../policy/sam-templates.js';

const kindSchema = z.enum(['admin-wildcard', 'service-wildcard', 'sam-template-avoided']);
const tableSchema = z.strictObject({
  $comment: z.string(),
  rows: z.array(
    z.strictObject({
      kind: kindSchema,
      severity: z.enum(['high', 'medium']),
      reason: z.string().min(10),
      fix: z.string().min(10),
      fixRole: z.string().min(10),
    }),
  ),
});
const ROWS = tableSchema.parse(table).rows;

export type AntiPatternKind = z.infer<typeof kindSchema>;

export interface AntiPattern {
  kind: AntiPatternKind;
  severity: 'high' | 'medium';
  /** `inline app-api-data #2 (Sid)` or `managed app-common #1`. */
  where: string;
  /** The offending part: `*`, `dynamodb:*`, `DynamoDBCrudPolicy`. */
  detail: string;
  reason: string;
  fix: string;
  /** The fix for a role no function is known to use. */
  fixRole: string;
}

export interface FunctionGroup {
  role: string;
  roleArn: string;
  functions: string[];
  granted: number;
  used: number;
  unusedPercent: number;
  antiPatterns: AntiPattern[];
}

export interface ServerlessDriftSection {
  /** Where the function list came from; null when none was given (no grouping, anti-patterns only). */
  functionsSource: string | null;
  /** Roles with at least one function, sorted by role name. */
  groups: FunctionGroup[];
  /** Roles without a known function that still carry anti-patterns. */
  otherRoles: { role: string; roleArn: string; antiPatterns: AntiPattern[] }[];
}

function row(kind: AntiPatternKind): (typeof ROWS)[number] {
  const found = ROWS.find((r) => r.kind === kind);
  if (found === undefined) throw new Error(`anti-patterns.json: no row for ${kind}`);
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A template resource as a regular expression: pseudo parameters and parameters as their patterns. */
function resourceRegExp(t: SamTemplate, resource: string): RegExp {
  let source = '^';
  let last = 0;
  for (const m of resource.matchAll(/\$\{([A-Za-z:]+)\}/g)) {
    source += escapeRegExp(resource.slice(last, m.index));
    last = m.index + m[0].length;
    const name = m[1] ?? '';
    source += name.startsWith('AWS::') ? '[^:]*' : `(?:${t.parameters[name] ?? '[^/:]+'})`;
  }
  return new RegExp(`${source}${escapeRegExp(resource.slice(last))}$`);
}

/** True when the statement is one statement of the template's expansion, as SAM writes it. */
function isTemplateStatement(t: SamTemplate, s: Statement): boolean {
  if (s.Effect !== 'Allow' || s.Condition !== undefined || s.NotAction !== undefined || s.NotResource !== undefined) return false;
  const actions = new Set(asList(s.Action).map((a) => a.toLowerCase()));
  const resources = asList(s.Resource);
  return t.statements.some((ts) => {
    const wanted = new Set(ts.Action.map((a) => a.toLowerCase()));
    if (wanted.size !== actions.size || [...wanted].some((a) => !actions.has(a))) return false;
    const patterns = ts.Resource.map((r) => resourceRegExp(t, r));
    return resources.length === patterns.length && patterns.every((p) => resources.some((r) => p.test(r)));
  });
}

function flag(kind: AntiPatternKind, where: string, detail: string): AntiPattern {
  const r = row(kind);
  return { kind, severity: r.severity, where, detail, reason: r.reason, fix: r.fix, fixRole: r.fixRole };
}

/** Every anti-pattern in a role's identity policies, in policy and statement order. */
export function findAntiPatterns(grant: RoleGrant): AntiPattern[] {
  const avoided = SAM_TEMPLATES.filter((t) => t.avoid !== undefined);
  const out: AntiPattern[] = [];
  for (const policy of grant.policies) {
    policy.document.Statement.forEach((s, i) => {
      if (s.Effect !== 'Allow') return;
      const where = `${policy.kind} ${policy.name} #${i + 1}${s.Sid !== undefined ? ` (${s.Sid})` : ''}`;
      const actions = asList(s.Action);
      const resources = asList(s.Resource);
      if (actions.includes('*') && resources.includes('*')) out.push(flag('admin-wildcard', where, 'Action "*" on Resource "*"'));
      for (const a of actions) if (/^[a-z0-9-]+:\*$/i.test(a)) out.push(flag('service-wildcard', where, a));
      for (const t of avoided) if (isTemplateStatement(t, s)) out.push(flag('sam-template-avoided', where, `${t.name}: ${t.avoid ?? ''}`));
    });
  }
  return out;
}

/** The serverless section of a drift report; `functions` undefined means no function data. */
export function buildServerlessSection(
  report: DriftReport,
  iam: IamSnapshot,
  functions: readonly LambdaFunction[] | undefined,
  functionsSource: string | undefined,
): ServerlessDriftSection {
  const groups: FunctionGroup[] = [];
  const otherRoles: ServerlessDriftSection['otherRoles'] = [];
  for (const role of [...report.roles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const grant = iam.roles.find((g) => g.arn === role.arn);
    const antiPatterns = grant !== undefined ? findAntiPatterns(grant) : [];
    const names = (functions ?? [])
      .filter((f) => f.role === role.arn)
      .map((f) => f.name)
      .sort();
    if (names.length > 0) {
      groups.push({
        role: role.name,
        roleArn: role.arn,
        functions: names,
        granted: role.granted,
        used: role.used,
        unusedPercent: role.unusedPercent,
        antiPatterns,
      });
    } else if (antiPatterns.length > 0) otherRoles.push({ role: role.name, roleArn: role.arn, antiPatterns });
  }
  return { functionsSource: functionsSource ?? null, groups, otherRoles };
}

/** A function's role gets the function's fix; any other role (CI, ECS, EC2, ...) the role's, with its name (D6). */
function antiPatternLines(list: readonly AntiPattern[], fn: string | undefined, role: string): string[] {
  return list.map(
    (a) =>
      `- **${a.kind}** (${a.severity}) in ${a.where}: ${a.detail}. ${a.reason}; ${fn !== undefined ? a.fix.replace('<name>', fn) : a.fixRole.replace('<role>', role)}.`,
  );
}

/** Roles whose anti-patterns report.md spells out (as many as its role table): at 500 roles they took 400 KB. */
const MARKDOWN_ANTI_PATTERN_ROLES = 40;

/** Markdown for the drift report; empty when there is nothing to say. */
export function renderServerlessMarkdown(section: ServerlessDriftSection | undefined): string[] {
  if (section === undefined || (section.groups.length === 0 && section.otherRoles.length === 0)) return [];
  const lines: string[] = [];
  if (section.functionsSource !== null) {
    lines.push('## Lambda functions by execution role', '', `Function data: ${section.functionsSource}.`, '');
    if (section.groups.length === 0) lines.push('No listed function runs as a selected role.', '');
    for (const g of section.groups) {
      const shared = g.functions.length > 1 ? ` — shared by ${g.functions.length} functions: minimizing the role affects all of them` : '';
      lines.push(`### ${g.functions.join(', ')} → role \`${g.role}\`${shared}`, '');
      lines.push(`${g.used} of ${g.granted} granted actions used (${g.unusedPercent}% unused).`, '');
      lines.push(...antiPatternLines(g.antiPatterns, g.functions[0], g.role));
      if (g.antiPatterns.length > 0) lines.push('');
    }
  }
  if (section.otherRoles.length > 0) {
    lines.push(section.functionsSource !== null ? '## Anti-patterns in other roles' : '## Anti-patterns', '');
    for (const r of section.otherRoles.slice(0, MARKDOWN_ANTI_PATTERN_ROLES))
      lines.push(`### \`${r.role}\``, '', ...antiPatternLines(r.antiPatterns, undefined, r.role), '');
    const more = section.otherRoles.length - MARKDOWN_ANTI_PATTERN_ROLES;
    if (more > 0) lines.push(`${more} more ${more === 1 ? 'role' : 'roles'} with anti-patterns in report.json / report.html.`, '');
  }
  return lines;
}

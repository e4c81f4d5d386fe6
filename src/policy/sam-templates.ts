/**
 * The AWS SAM policy templates table (`data/sam-templates.json`): validated once at load, expanded
 * to IAM statements the way the SAM translator does, and read backwards (which parameter values
 * would make a template name a given ARN). A table that fails validation is a bug here, so loading
 * throws.
 */
import { z } from 'zod';
import type { Statement } from '../model.js';
import tableJson from './data/sam-templates.json' with { type: 'json' };

export interface SamTemplateStatement {
  Action: string[];
  Resource: string[];
}

export interface SamTemplate {
  name: string;
  /** Parameter name -> the regular expression a value read back from an ARN must match. */
  parameters: Record<string, string>;
  statements: SamTemplateStatement[];
  reason: string;
  /** Set when AWS recommends against the template: iamtrim never emits it; drift flags it. */
  avoid?: string;
}

/** The stack a template is expanded in: SAM substitutes these pseudo parameters. */
export interface SamContext {
  partition: string;
  accountId: string;
  /** Unknown when only a role was given: templates naming `${AWS::Region}` are then not used. */
  region?: string;
}

/** One use of a template: `DynamoDBReadPolicy: {TableName: orders}`. */
export interface SamTemplateUse {
  template: string;
  parameters: Record<string, string>;
}

const tableSchema = z.strictObject({
  $comment: z.string(),
  source: z.strictObject({ repository: z.string(), path: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/), docs: z.string().url() }),
  templates: z.array(
    z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9_]+$/),
      parameters: z.record(z.string().regex(/^[A-Za-z]+$/), z.string().min(1)),
      statements: z
        .array(z.strictObject({ Action: z.array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/)).min(1), Resource: z.array(z.string().min(1)).min(1) }))
        .min(1),
      reason: z.string().min(8),
      avoid: z.string().min(8).optional(),
    }),
  ),
});

const PLACEHOLDER = /\$\{([A-Za-z:]+)\}/g;

function loadTable(): { source: z.infer<typeof tableSchema>['source']; templates: SamTemplate[] } {
  const table = tableSchema.parse(tableJson);
  for (const t of table.templates) {
    for (const s of t.statements)
      for (const r of s.Resource)
        for (const m of r.matchAll(PLACEHOLDER)) {
          const name = m[1] ?? '';
          if (!name.startsWith('AWS::') && !(name in t.parameters)) throw new Error(`sam-templates.json ${t.name}: unknown placeholder \${${name}}`);
        }
  }
  const templates = table.templates.map(({ avoid, ...rest }): SamTemplate => (avoid !== undefined ? { ...rest, avoid } : rest));
  return { source: table.source, templates };
}

const TABLE = loadTable();

/** Where the template definitions come from (repository, path, commit, docs page). */
export const SAM_TEMPLATES_SOURCE = TABLE.source;
/** Every template in the table, in table order (sorted by name). */
export const SAM_TEMPLATES: readonly SamTemplate[] = TABLE.templates;

export function samTemplate(name: string): SamTemplate | undefined {
  return SAM_TEMPLATES.find((t) => t.name === name);
}

/** True when expanding the template needs the stack's region. */
export function needsRegion(t: SamTemplate): boolean {
  return t.statements.some((s) => s.Resource.some((r) => r.includes('${AWS::Region}')));
}

function substitute(text: string, context: SamContext, parameters: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'AWS::Partition') return context.partition;
    if (name === 'AWS::AccountId') return context.accountId;
    if (name === 'AWS::Region') {
      if (context.region === undefined) throw new Error(`cannot expand ${whole} without a region`);
      return context.region;
    }
    const value = parameters[name];
    if (value === undefined) throw new Error(`missing template parameter ${name}`);
    return value;
  });
}

/** The IAM statements a template use expands to, as the SAM translator would produce them. */
export function expandTemplate(use: SamTemplateUse, context: SamContext): Statement[] {
  const t = samTemplate(use.template);
  if (t === undefined) throw new Error(`unknown SAM policy template ${use.template}`);
  return t.statements.map((s) => ({
    Effect: 'Allow',
    Action: [...s.Action],
    Resource: s.Resource.map((r) => substitute(r, context, use.parameters)),
  }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Parameter bindings under which one of the template's resources would read exactly `arn`.
 * Only resources that name every parameter are read back, so each binding is complete.
 */
export function bindingsFromArn(t: SamTemplate, arn: string, context: SamContext): Record<string, string>[] {
  const names = Object.keys(t.parameters);
  if (names.length === 0) return [{}];
  const out: Record<string, string>[] = [];
  for (const s of t.statements) {
    for (const resource of s.Resource) {
      const order: string[] = [];
      let source = '^';
      let last = 0;
      let failed = false;
      for (const m of resource.matchAll(PLACEHOLDER)) {
        const name = m[1] ?? '';
        source += escapeRegExp(resource.slice(last, m.index));
        last = m.index + m[0].length;
        if (name.startsWith('AWS::')) {
          const value = name === 'AWS::Partition' ? context.partition : name === 'AWS::AccountId' ? context.accountId : context.region;
          if (value === undefined) failed = true;
          source += escapeRegExp(value ?? '');
        } else {
          order.push(name);
          source += `(${t.parameters[name] ?? '[^/:]+'})`;
        }
      }
      source += `${escapeRegExp(resource.slice(last))}$`;
      if (failed || !names.every((n) => order.includes(n))) continue;
      const m = new RegExp(source).exec(arn);
      if (m === null) continue;
      const binding: Record<string, string> = {};
      let consistent = true;
      order.forEach((name, i) => {
        const value = m[i + 1] ?? '';
        if (binding[name] !== undefined && binding[name] !== value) consistent = false;
        binding[name] = value;
      });
      if (consistent) out.push(binding);
    }
  }
  return out;
}

/** A stable text key for a template use (sorting, de-duplication). */
export function templateUseKey(use: SamTemplateUse): string {
  const params = Object.keys(use.parameters)
    .sort()
    .map((k) => `${k}=${use.parameters[k] ?? ''}`)
    .join(',');
  return `${use.template}(${params})`;
}

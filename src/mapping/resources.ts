/**
 * Which resources one permission needs: the ARNs the event names (`resources[]`) when they fit the
 * action's resource types, else ARNs built from request parameters by the builder table, else the
 * narrowest pattern the ARN format allows (with a diagnostic).
 */
import type { CatalogAction, IamCatalog } from '../iam/catalog.js';
import type { Arn, Diagnostic } from '../model.js';
import { type ArnFormat, compileArnFormat, fillTemplate, isArn, narrowestPattern, templateVariables } from './arn-format.js';
import type { CallContext, ParamValues } from './derive-params.js';
import type { ResourceBuilderRow } from './tables.js';

interface CompiledBuilder {
  row: ResourceBuilderRow;
  variables: string[];
  /** The template starts with a variable (`${topicArn}`): that value must already be an ARN. */
  whole: boolean;
}

export interface ResourceResolver {
  resolve(action: CatalogAction, params: ParamValues, resourceArns: readonly string[], ctx: CallContext, options?: ResolveOptions): ResolvedResources;
}

export interface ResolveOptions {
  /** The action's resource types are alternatives (see `anyResourceType` in tables.ts): one derived type is enough. */
  anyResourceType?: boolean;
  /** The call's eventName: builder rows with `eventNames` apply only to those calls. */
  eventName?: string;
  /** Only these of the action's resource types, each required (see `resourceTypesFrom` in tables.ts). */
  onlyTypes?: readonly string[];
}

export interface ResolvedResources {
  resources: Arn[];
  diagnostics: Diagnostic[];
}

/** One of an action's resource types, with its ARN format. */
interface ResourceTypeFormat {
  name: string;
  required: boolean;
  fmt: ArnFormat;
}

const CONTEXT_VARIABLES = new Set(['Partition', 'Region', 'Account']);

function commonPrefix(values: readonly string[]): string {
  const first = values[0] ?? '';
  let n = first.length;
  for (const v of values) while (n > 0 && !v.startsWith(first.slice(0, n))) n -= 1;
  return first.slice(0, n).replace(/\*+$/, '');
}

function cartesian(lists: string[][]): string[][] {
  return lists.reduce<string[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

export function createResourceResolver(catalog: IamCatalog, builders: readonly ResourceBuilderRow[]): ResourceResolver {
  const formats = new Map<string, ArnFormat | undefined>();
  const format = (service: string, type: string): ArnFormat | undefined => {
    const key = `${service}/${type}`.toLowerCase();
    if (!formats.has(key)) {
      const rt = catalog.resourceType(service, type);
      formats.set(key, rt === undefined ? undefined : compileArnFormat(rt.arn));
    }
    return formats.get(key);
  };
  const byType = new Map<string, CompiledBuilder[]>();
  for (const row of builders) {
    const key = `${row.service}/${row.resourceType}`.toLowerCase();
    const variables = templateVariables(row.template);
    const list = byType.get(key) ?? [];
    list.push({ row, variables, whole: row.template.startsWith('${') });
    byType.set(key, list);
  }

  function build(b: CompiledBuilder, params: ParamValues, ctx: CallContext, fmt: ArnFormat): string[] {
    const lists: string[][] = [];
    for (const [i, v] of b.variables.entries()) {
      if (CONTEXT_VARIABLES.has(v)) continue;
      const values = params[v];
      if (values === undefined || values.length === 0) return [];
      const usable = b.whole && i === 0 ? values.filter(isArn) : values.filter((x) => !isArn(x));
      if (usable.length === 0) return [];
      lists.push(usable);
    }
    const names = b.variables.filter((v) => !CONTEXT_VARIABLES.has(v));
    const out: string[] = [];
    for (const combo of cartesian(lists)) {
      const values: Record<string, string> = { Partition: ctx.partition, Region: ctx.region, Account: ctx.account };
      names.forEach((n, i) => (values[n] = combo[i] ?? ''));
      const arn = fillTemplate(b.row.template, values);
      if (arn !== undefined && fmt.regex.test(arn)) out.push(arn);
    }
    return out;
  }

  /** Per service, resource type and eventName: buildersOf's answer (the same for every call). */
  const builderLists = new Map<string, CompiledBuilder[]>();

  /** The builders of a type that apply to the call (rows with `eventNames` only to those calls). */
  function buildersOf(service: string, type: string, eventName: string | undefined): CompiledBuilder[] {
    const key = `${service}/${type}\u0000${eventName ?? '\u0001'}`;
    let list = builderLists.get(key);
    if (list === undefined) {
      list = (byType.get(`${service}/${type}`.toLowerCase()) ?? []).filter(
        (b) => b.row.eventNames === undefined || (eventName !== undefined && b.row.eventNames.includes(eventName)),
      );
      builderLists.set(key, list);
    }
    return list;
  }

  /** Per action, its resource types whose ARN format the catalogue knows. */
  const typesOf = new Map<CatalogAction, ResourceTypeFormat[]>();
  function formatsOf(action: CatalogAction): ResourceTypeFormat[] {
    let types = typesOf.get(action);
    if (types === undefined) {
      types = action.resourceTypes
        .map((t) => ({ name: t.name, required: t.required, fmt: format(action.service, t.name) }))
        .filter((t): t is ResourceTypeFormat => t.fmt !== undefined);
      typesOf.set(action, types);
    }
    return types;
  }

  /** A partial fill of the first embedding builder: known parameters kept, unknown ones `*`. */
  function pattern(
    service: string,
    type: string,
    fmt: ArnFormat,
    params: ParamValues,
    ctx: CallContext,
    eventName: string | undefined,
  ): { arn: string; known: number } {
    for (const b of buildersOf(service, type, eventName)) {
      if (b.whole) continue;
      const values: Record<string, string> = { Partition: ctx.partition, Region: ctx.region, Account: ctx.account };
      let known = 0;
      for (const v of b.variables) {
        const first = params[v]?.[0];
        if (first !== undefined && !isArn(first) && params[v]?.length === 1 && !CONTEXT_VARIABLES.has(v)) {
          values[v] = first;
          known += 1;
        }
      }
      const arn = fillTemplate(b.row.template, values, '*');
      if (arn !== undefined && fmt.regex.test(arn)) return { arn, known };
    }
    return { arn: narrowestPattern(fmt.template, ctx.partition, ctx.region, ctx.account), known: 0 };
  }

  return {
    resolve(action, params, resourceArns, ctx, options = {}) {
      const diagnostics: Diagnostic[] = [];
      if (action.resourceTypes.length === 0) return { resources: ['*'], diagnostics };
      const all = options.onlyTypes === undefined ? formatsOf(action) : formatsOf(action).filter((t) => options.onlyTypes?.includes(t.name) === true);
      if (all.length === 0) return { resources: ['*'], diagnostics };
      const required = options.onlyTypes !== undefined ? all : options.anyResourceType === true ? [] : all.filter((t) => t.required);
      const types = all;

      // resources[]: each ARN goes to the most specific of the action's formats it matches.
      const fromEvent = new Map<string, string[]>();
      for (const arn of resourceArns) {
        const best = types.filter((t) => t.fmt.regex.test(arn)).sort((a, b) => b.fmt.specificity - a.fmt.specificity)[0];
        if (best === undefined) continue;
        // Appended in place: a copy per ARN made one record with 80,000 ARNs take 76 s.
        const list = fromEvent.get(best.name);
        if (list === undefined) fromEvent.set(best.name, [arn]);
        else list.push(arn);
      }
      const derived = new Map<string, string[]>();
      for (const t of types) {
        const own = fromEvent.get(t.name);
        if (own !== undefined) {
          derived.set(t.name, own);
          continue;
        }
        for (const b of buildersOf(action.service, t.name, options.eventName)) {
          const arns = build(b, params, ctx, t.fmt);
          if (arns.length > 0) {
            derived.set(t.name, arns);
            break;
          }
        }
      }
      const resources = new Set<string>();
      for (const arns of derived.values()) for (const a of arns) resources.add(a);
      // All types optional: one derived ARN of any type is enough. Required types: each needs one.
      // Optional types (an index next to its table) are added only when derived, never as patterns.
      const missing = (required.length > 0 ? required : derived.size === 0 ? types : []).filter((t) => !derived.has(t.name));
      const withBuilder = missing.filter((t) => byType.has(`${action.service}/${t.name}`.toLowerCase()));
      // All optional: the builder-backed type whose pattern keeps most known parameters, then the simplest format.
      const best = withBuilder
        .map((t) => ({
          t,
          known: pattern(action.service, t.name, t.fmt, params, ctx, options.eventName).known,
          vars: templateVariables(t.fmt.template).length,
        }))
        .sort((a, b) => b.known - a.known || a.vars - b.vars)[0];
      const toPattern = required.length > 0 ? missing : best !== undefined ? [best.t] : missing;
      if (required.length === 0 && derived.size === 0 && withBuilder.length === 0 && missing.length === 1) {
        // One optional type the request does not name (CloudWatch PutMetricData and its optional
        // dataset): the call need not involve such a resource at all, and AWS then authorizes it on
        // `*`; a pattern of that type would deny it.
        diagnostics.push({
          code: 'resource-not-derived',
          severity: 'info',
          message: `${action.id}: its only resource type (${missing[0]?.name ?? ''}) is optional and the call names none; using *`,
          subject: action.id,
        });
        return { resources: ['*'], diagnostics };
      }
      if (required.length === 0 && withBuilder.length === 0 && missing.length > 1) {
        // Many optional types and no way to build any: one pattern covering them all.
        const p = `${commonPrefix(missing.map((t) => narrowestPattern(t.fmt.template, ctx.partition, ctx.region, ctx.account)))}*`;
        diagnostics.push({
          code: 'resource-not-derived',
          severity: 'info',
          message: `${action.id}: none of its ${missing.length} optional resource types can be derived; using ${p}`,
          subject: action.id,
        });
        return { resources: [p], diagnostics };
      }
      for (const t of toPattern) {
        const p = pattern(action.service, t.name, t.fmt, params, ctx, options.eventName).arn;
        resources.add(p);
        diagnostics.push({
          code: 'resource-not-derived',
          severity: 'info',
          message: `${action.id}: no ${t.name} ARN in the event or its parameters; using ${p}`,
          subject: action.id,
        });
      }
      return { resources: [...resources].sort(), diagnostics };
    },
  };
}

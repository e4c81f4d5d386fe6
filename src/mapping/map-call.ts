/**
 * CloudTrail call row -> the IAM permissions it needed. Rule order (docs/mapping.md):
 *   1. ignored events (permissionless calls, non-API sources);
 *   2. errorCode -> outcome (denied attempts are never grants);
 *   3. eventSource -> IAM prefix; known version suffixes stripped;
 *   4. explicit event-action rows (parameter-conditioned rows first), else `<prefix>:<eventName>`
 *      when the catalogue has it, else unmapped;
 *   5. resources per permission; inferred iam:PassRole from passed-role parameters.
 */
import type { CatalogAction, IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import type { CallOutcome, CallRow, Diagnostic, IamIdentity, MappedCall, RequiredPermission } from '../model.js';
import { arnPartition } from './arn-format.js';
import { type CallContext, type ParamValues, deriveParams } from './derive-params.js';
import { listMembers } from './derive-service-params.js';
import { addIdentityParams, createIdentityResolver } from './identity.js';
import { createResourceResolver } from './resources.js';
import { type EventActionRow, type MappingTables, type PassRoleRow, mappingTables } from './tables.js';

export interface OutcomeClassification {
  outcome: CallOutcome;
  /** The table pattern that matched, or undefined for an unknown code. */
  pattern: string | undefined;
}

function globRegex(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** Classifies an errorCode with the error-code table; unknown codes count as authorized. */
export function createOutcomeClassifier(tables: MappingTables = mappingTables()): (errorCode: string | null) => OutcomeClassification {
  const rows = tables.errorCodes.map((r) => ({ row: r, regex: globRegex(r.pattern) }));
  return (errorCode) => {
    if (errorCode === null || errorCode === '') return { outcome: 'authorized', pattern: '' };
    const hit = rows.find((r) => r.regex.test(errorCode));
    return hit === undefined ? { outcome: 'authorized', pattern: undefined } : { outcome: hit.row.outcome, pattern: hit.row.pattern };
  };
}

/** The IAM prefix of an eventSource host. */
export function createPrefixResolver(tables: MappingTables = mappingTables()): (eventSource: string) => string {
  const byHost = new Map(tables.servicePrefixes.map((r) => [r.eventSource, r.prefix]));
  return (eventSource) => byHost.get(eventSource) ?? eventSource.split('.')[0] ?? eventSource;
}

function keyOf(eventSource: string, eventName: string): string {
  return `${eventSource} ${eventName}`;
}

function group<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) out.set(key(row), [...(out.get(key(row)) ?? []), row]);
  return out;
}

/** Every action a table row can emit must exist; a table naming an unknown action is a bug. */
function assertTableActions(catalog: IamCatalog, tables: MappingTables): void {
  const unknown = [...tables.eventActions.flatMap((r) => r.permissions.map((p) => p.action)), ...tables.namePrefixActions.map((r) => r.action)].filter(
    (a) => catalog.action(a) === undefined,
  );
  if (catalog.action('iam:PassRole') === undefined) unknown.push('iam:PassRole');
  for (const p of tables.eventActions.flatMap((r) => r.permissions)) {
    const types = catalog.action(p.action)?.resourceTypes.map((t) => t.name) ?? [];
    for (const t of p.resourceTypes ?? []) if (!types.includes(t)) unknown.push(`${p.action} resource type ${t}`);
  }
  if (unknown.length > 0) throw new Error(`mapping tables name unknown IAM actions or resource types: ${[...new Set(unknown)].join(', ')}`);
}

/** One permission of a table row, as the mapper applies it (tables.ts `permissionSpec`). */
interface PermissionOptions {
  bind?: Record<string, string> | undefined;
  fromParamsOnly: boolean;
  onlyWith?: string | undefined;
  anyResourceType: boolean;
  exceptParam?: string | undefined;
  typesFrom?: string | undefined;
  types?: readonly string[] | undefined;
}

/** A permission of a table row (or of the default rule) with its catalogue action. */
type Spec = PermissionOptions & { action: CatalogAction | undefined };

/** Optional inputs of the mapper beyond the catalogue and the tables. */
export interface MapperOptions {
  /**
   * The IAM snapshot the proposal is made against: resource identity (role, user, instance profile
   * and policy paths; the role an instance profile holds). Without it, names map to path-less ARNs.
   */
  identity?: IamIdentity;
}

/** A name the IAM snapshot does not know: both path forms are kept, and the plan says so. */
function ambiguousName(name: string, subject: string): Diagnostic {
  return {
    code: 'identity-ambiguous',
    severity: 'info',
    message: `${name} is not in the IAM snapshot (another account, or created after it): its ARN may have a path, so both NAME and */NAME are kept`,
    subject,
  };
}

export function createMapper(catalog: IamCatalog, tables: MappingTables = mappingTables(), options: MapperOptions = {}): (row: CallRow) => MappedCall {
  assertTableActions(catalog, tables);
  const prefixOf = createPrefixResolver(tables);
  const classify = createOutcomeClassifier(tables);
  const resolver = createResourceResolver(catalog, tables.resourceBuilders);
  const ignored = new Map(tables.ignoredEvents.map((r) => [keyOf(r.eventSource, r.eventName), r]));
  const eventRows = group(tables.eventActions, (r) => keyOf(r.eventSource, r.eventName));
  const passRoleRows = group(tables.passRole, (r) => keyOf(r.eventSource, r.eventName));
  const suffixes = group(
    tables.versionSuffixes.map((r) => ({ eventSource: r.eventSource, regex: new RegExp(`^(.+?)(?:${r.suffix})$`) })),
    (r) => r.eventSource,
  );
  const passRole = catalog.action('iam:PassRole');
  const identity = createIdentityResolver(options.identity);
  const namePrefixes = group(
    [...tables.namePrefixActions].sort((a, b) => b.namePrefix.length - a.namePrefix.length),
    (r) => r.eventSource,
  );

  /** `<prefix>:<eventName>` when the catalogue has it, else the longest matching name-prefix row. */
  function defaultAction(eventSource: string, prefix: string, name: string): CatalogAction | undefined {
    const own = catalog.action(`${prefix}:${name}`);
    if (own !== undefined) return own;
    const byPrefix = namePrefixes.get(eventSource)?.find((r) => name.startsWith(r.namePrefix));
    return byPrefix === undefined ? undefined : catalog.action(byPrefix.action);
  }

  /** The eventName with a known version suffix removed, when the stripped name is mappable. */
  function normaliseName(eventSource: string, prefix: string, eventName: string): string {
    for (const s of suffixes.get(eventSource) ?? []) {
      const stripped = s.regex.exec(eventName)?.[1];
      if (stripped === undefined) continue;
      if (eventRows.has(keyOf(eventSource, stripped)) || catalog.action(`${prefix}:${stripped}`) !== undefined) return stripped;
    }
    return eventName;
  }

  /**
   * What the mapper decides per (eventSource, eventName), the same for every row of that call:
   * its ignored-event row, IAM prefix, name without version suffix, table rows and pass-role rows.
   */
  interface EventPlan {
    ignored: MappingTables['ignoredEvents'][number] | undefined;
    prefix: string;
    name: string;
    rows: readonly EventActionRow[] | undefined;
    passRoleRows: readonly PassRoleRow[];
    /** Without a table row that applies: `<prefix>:<name>` or a name-prefix row. */
    defaultSpecs: Spec[];
  }
  const plans = new Map<string, EventPlan>();
  function planOf(eventSource: string, eventName: string): EventPlan {
    const key = keyOf(eventSource, eventName);
    let plan = plans.get(key);
    if (plan === undefined) {
      const prefix = prefixOf(eventSource);
      const name = normaliseName(eventSource, prefix, eventName);
      plan = {
        ignored: ignored.get(key) ?? ignored.get(keyOf(eventSource, '*')),
        prefix,
        name,
        rows: eventRows.get(keyOf(eventSource, name)),
        passRoleRows: passRoleRows.get(keyOf(eventSource, name)) ?? [],
        defaultSpecs: [{ action: defaultAction(eventSource, prefix, name), fromParamsOnly: false, anyResourceType: false }],
      };
      plans.set(key, plan);
    }
    return plan;
  }

  /** Per table row, its permissions as the mapper applies them. */
  const rowSpecs = new Map<EventActionRow, Spec[]>();
  function specsOf(row: EventActionRow): Spec[] {
    let specs = rowSpecs.get(row);
    if (specs === undefined) {
      specs = row.permissions.map((p) => ({
        action: catalog.action(p.action),
        bind: p.bind,
        fromParamsOnly: p.resourcesFrom === 'params',
        onlyWith: p.onlyWith,
        anyResourceType: p.anyResourceType === true,
        exceptParam: p.exceptParam,
        typesFrom: p.resourceTypesFrom,
        types: p.resourceTypes,
      }));
      rowSpecs.set(row, specs);
    }
    return specs;
  }

  const outcomes = new Map<string | null, OutcomeClassification>();
  function outcomeOf(errorCode: string | null): OutcomeClassification {
    let outcome = outcomes.get(errorCode);
    if (outcome === undefined) outcomes.set(errorCode, (outcome = classify(errorCode)));
    return outcome;
  }

  function passRoles(rows: readonly PassRoleRow[], row: CallRow, primary: string, ctx: CallContext, diagnostics: Diagnostic[]): RequiredPermission[] {
    if (passRole === undefined) return [];
    const out: RequiredPermission[] = [];
    const values = rows.flatMap((r) => {
      const raw = row.params[r.param];
      if (raw === undefined || raw === '') return [];
      return (r.member === undefined ? [raw] : listMembers(raw, r.member)).map((value) => ({ r, value }));
    });
    for (const { r, value } of values) {
      const via = `iam:PassRole for ${primary} ${r.param}${r.member === undefined ? '' : `[].${r.member}`}`;
      if (r.carries === 'instance-profile') {
        // The role travels inside the instance profile: the snapshot says which role it holds.
        const profile = identity.instanceProfile(value, ctx.account);
        if (profile !== undefined && profile.roles.length > 0) {
          out.push({ action: passRole.id, resources: [...profile.roles], via: `${via} (role of instance profile ${profile.name})` });
          continue;
        }
        const pattern = `arn:${ctx.partition}:iam::${ctx.account}:role/*`;
        diagnostics.push({
          code: 'passrole-instance-profile',
          severity: 'warning',
          message: `${primary} passes instance profile ${value}, which the IAM snapshot does not describe; its role is unknown, so iam:PassRole uses ${pattern}`,
          subject: passRole.id,
        });
        out.push({ action: passRole.id, resources: [pattern], via });
      } else {
        const arns = identity.roleArns(value, ctx);
        if (!arns.known) diagnostics.push(ambiguousName(`role ${value}`, passRole.id));
        out.push({ action: passRole.id, resources: arns.values, via });
      }
    }
    return out;
  }

  /** `full`: the row's parameters derived (deriveParams); this permission's own copy is changed. */
  function permissionFor(
    spec: PermissionOptions,
    action: CatalogAction,
    row: CallRow,
    ctx: CallContext,
    full: ParamValues,
    diagnostics: Diagnostic[],
  ): RequiredPermission {
    const { bind, fromParamsOnly, anyResourceType, exceptParam } = spec;
    let derived: ParamValues;
    if (bind === undefined) derived = { ...full };
    else {
      const params = { ...row.params };
      for (const [target, from] of Object.entries(bind)) {
        const value = row.params[from];
        if (value === undefined) delete params[target];
        else params[target] = value;
      }
      derived = deriveParams(params, ctx);
      // A bound parameter may itself be derived (copySourceBucket): take it from the full derivation.
      for (const [target, from] of Object.entries(bind)) {
        const value = full[from];
        if (value === undefined) delete derived[target];
        else derived[target] = value;
      }
    }
    for (const name of addIdentityParams(derived, identity, ctx, row.eventName)) diagnostics.push(ambiguousName(name, action.id));
    const except = exceptParam === undefined ? undefined : row.params[exceptParam];
    let resourceArns = fromParamsOnly ? [] : row.resourceArns;
    if (except !== undefined && except !== '') {
      const rest = resourceArns.filter((a) => a !== except && !a.endsWith(`/${except}`));
      if (rest.length > 0) resourceArns = rest;
    }
    const onlyTypes = spec.types ?? (spec.typesFrom === undefined ? undefined : (derived[spec.typesFrom] ?? []));
    let resources: string[];
    if (onlyTypes !== undefined && (onlyTypes.length === 0 || onlyTypes.some((t) => !action.resourceTypes.some((r) => r.name === t)))) {
      // The request names a type the action does not list (or none): the call worked, so the
      // permission stays, on `*`, and the plan says why.
      diagnostics.push({
        code: 'resource-not-derived',
        severity: 'warning',
        message: `${action.id} for ${row.eventName}: the request's resource types (${onlyTypes.join(', ') || 'none named'}) are not all resource types of ${action.id}; using *`,
        subject: action.id,
      });
      resources = ['*'];
    } else {
      const resolved = resolver.resolve(action, derived, resourceArns, ctx, {
        anyResourceType,
        eventName: row.eventName,
        ...(onlyTypes === undefined ? {} : { onlyTypes }),
      });
      diagnostics.push(...resolved.diagnostics);
      resources = resolved.resources;
    }
    const permission: RequiredPermission = { action: action.id, resources };
    if (row.invokedBy !== null && row.invokedBy !== '') permission.via = `${action.id} by ${row.invokedBy}`;
    return permission;
  }

  /** Per role ARN, its partition (rows of one role share it). */
  const partitions = new Map<string, string>();

  return (row) => {
    const plan = planOf(row.eventSource, row.eventName);
    if (plan.ignored !== undefined) return { kind: 'ignored', reason: `${plan.ignored.kind}: ${plan.ignored.reason}`, diagnostics: [] };

    const diagnostics: Diagnostic[] = [];
    const classified = outcomeOf(row.errorCode);
    if (classified.pattern === undefined) {
      diagnostics.push({
        code: 'unknown-error-code',
        severity: 'warning',
        message: `errorCode ${row.errorCode ?? ''} is not in the error-code table; counted as an authorized call`,
        subject: `${row.eventSource}:${row.eventName}`,
        count: row.count,
      });
    }
    const outcome = classified.outcome;
    let partition = partitions.get(row.roleArn);
    if (partition === undefined) partitions.set(row.roleArn, (partition = arnPartition(row.roleArn) ?? 'aws'));
    const ctx: CallContext = {
      partition,
      region: row.awsRegion,
      account: row.recipientAccountId,
    };
    const derived = deriveParams(row.params, ctx);
    // Rows with whenParams first (tables.ts): the first whose parameters the call has.
    const tableRow = plan.rows?.find((r) => (r.whenParams ?? []).every((p) => derived[p] !== undefined));
    const specs = tableRow === undefined ? plan.defaultSpecs : specsOf(tableRow);
    const permissions: RequiredPermission[] = [];
    for (const spec of specs) {
      if (spec.action === undefined) continue;
      if (spec.onlyWith !== undefined && derived[spec.onlyWith] === undefined) continue;
      permissions.push(permissionFor(spec, spec.action, row, ctx, derived, diagnostics));
    }
    if (permissions.length === 0) {
      diagnostics.push({
        code: 'unmapped',
        severity: 'warning',
        message: `no IAM action known for ${row.eventSource} ${row.eventName}`,
        subject: `${row.eventSource}:${row.eventName}`,
        count: row.count,
      });
      return { kind: 'unmapped', outcome, diagnostics, service: plan.prefix };
    }
    const primary = permissions[0]?.action ?? '';
    permissions.push(...passRoles(plan.passRoleRows, row, primary, ctx, diagnostics));
    permissions.sort((a, b) => compareText(a.action, b.action) || compareText(a.via ?? '', b.via ?? ''));
    return { kind: 'mapped', outcome, permissions, diagnostics };
  };
}

/**
 * Which granted actions CloudTrail can show as used. The rules are data
 * (`data/observability.json`, one row per action with its reason), never branches in code.
 */
import table from './data/observability.json' with { type: 'json' };
import trailResources from './data/trail-resources.json' with { type: 'json' };
import type { ActionId, Evidence, ObservabilityBasis } from '../model.js';
import type { IamCatalog } from '../iam/catalog.js';
import { describeSelection, selectionCovers, type TrailSelection } from './trail-selectors.js';

export type ObservabilityKind = 'data-event' | 'permission-only' | 'not-logged';

export interface ObservabilityRule {
  action: ActionId;
  kind: ObservabilityKind;
  /** For data events: the eventSource whose data events must be in the logs. */
  eventSource?: string;
  reason: string;
}

function toKind(kind: string): ObservabilityKind {
  if (kind === 'data-event' || kind === 'permission-only' || kind === 'not-logged') return kind;
  throw new Error(`observability.json: unknown kind ${kind}`);
}

export const observabilityRules: readonly ObservabilityRule[] = table.rows.map((r) => ({
  action: r.action,
  kind: toKind(r.kind),
  ...('eventSource' in r && typeof r.eventSource === 'string' ? { eventSource: r.eventSource } : {}),
  reason: r.reason,
}));

const byAction = new Map(observabilityRules.map((r) => [r.action.toLowerCase(), r]));
/** Lower-cased action -> rule, for each action spelt as its rule is: the same answer without lower-casing. */
const byCanonicalAction = new Map([...byAction.values()].map((r) => [r.action, r]));
/** Actions known to have no rule (a `*` grant asks for ~22,000 of them). */
const withoutRule = new Set<string>();

export function observabilityRule(action: ActionId): ObservabilityRule | undefined {
  const exact = byCanonicalAction.get(action);
  if (exact !== undefined || withoutRule.has(action)) return exact;
  const rule = byAction.get(action.toLowerCase());
  if (rule === undefined) withoutRule.add(action);
  return rule;
}

/** Why an unused action cannot be called unused with this evidence, or undefined when it can. */
export function unobservableReason(action: ActionId, evidence: Evidence): string | undefined {
  const rule = observabilityRule(action);
  if (rule === undefined) return undefined;
  if (rule.kind === 'data-event') {
    if (rule.eventSource !== undefined && evidence.dataEventSources.includes(rule.eventSource)) return undefined;
    return `${rule.reason}; the logs contain no data events for ${rule.eventSource ?? 'this service'}`;
  }
  return rule.reason;
}

// ---------------------------------------------------------------------------------------------
// Per resource: which granted resources of a data-event action the trail logs, from its own event
// selectors (`--trail-config`, `--trail`) or, without them, from the resources the logs show data
// events for (data events seen for one bucket say nothing about another).
// ---------------------------------------------------------------------------------------------

interface DataResourceRow {
  eventSource: string;
  resourceType: string;
  scope: 'bucket' | 'arn';
  allValue?: string;
}

const dataResources = new Map<string, DataResourceRow>(
  trailResources.dataResources.map((r) => [
    r.eventSource,
    {
      eventSource: r.eventSource,
      resourceType: r.resourceType,
      scope: r.scope === 'bucket' ? 'bucket' : 'arn',
      ...('allValue' in r && typeof r.allValue === 'string' ? { allValue: r.allValue } : {}),
    },
  ]),
);
const managementSources = new Map(trailResources.managementSources.map((r) => [r.prefix, r.eventSource]));

/** The eventSource of a service's management events (`kms` -> `kms.amazonaws.com`). */
export function managementSourceOf(action: ActionId): string {
  const prefix = action.slice(0, action.indexOf(':'));
  return managementSources.get(prefix) ?? `${prefix}.amazonaws.com`;
}

/** Whether CloudTrail records the action's events as read-only: IAM access levels Read and List. */
export function isReadOnlyAction(catalog: IamCatalog, action: ActionId): boolean {
  const level = catalog.action(action)?.accessLevel ?? '';
  return level === 'Read' || level === 'List';
}

/** The part of a resource ARN one data-event selector value or one seen event vouches for. */
export function scopeOf(eventSource: string, arn: string): string | undefined {
  const row = dataResources.get(eventSource);
  if (row === undefined || !arn.startsWith('arn:')) return undefined;
  if (row.scope === 'bucket') {
    const m = /^arn:[^:]+:s3:::([^/*?]+)/.exec(arn);
    return m ? `${arn.slice(0, arn.indexOf(':::') + 3)}${m[1]}/` : undefined;
  }
  const literal = arn.search(/[*?]/) < 0 ? arn : undefined;
  return literal;
}

function withinScope(pattern: string, scope: string): boolean {
  const i = pattern.search(/[*?]/);
  const literal = i < 0 ? pattern : pattern.slice(0, i);
  if (scope.endsWith('/')) return literal.startsWith(scope);
  return pattern === scope || literal.startsWith(`${scope}/`) || literal.startsWith(`${scope}:`);
}

/** Resource scopes the logs show data events for, by read-only and write events. */
export interface SeenDataResources {
  read: Set<string>;
  write: Set<string>;
}

export interface ObservabilityContext {
  catalog: IamCatalog;
  evidence: Evidence;
  /** The trail's own selectors, when given; else unobservability is inferred from the logs. */
  selection?: TrailSelection;
  seen: SeenDataResources;
}

/** The reason every data-event permission is kept with when a store's selectors could not be read. */
export const EVENT_DATA_STORE_SELECTORS_UNKNOWN =
  'event data store selectors unknown (cloudtrail:GetEventDataStore was denied): its data events may not be collected';

/**
 * Where an event data store's reach leaves the role's calls out of the evidence: a store of its
 * home Region only; a store that is not organization-enabled, of another account than the role's.
 */
export function eventDataStoreNotes(selection: TrailSelection, roleArn: string | undefined): string[] {
  const arn = /^arn:[^:]+:cloudtrail:([^:]+):(\d{12}):/.exec(selection.trail ?? '');
  const notes: string[] = [];
  if (selection.multiRegion === false) {
    notes.push(
      `the event data store collects the events of its home Region${arn !== null ? ` (${arn[1]})` : ''} only: calls in other Regions are not in the evidence, so a permission used only there shows as unused`,
    );
  }
  const roleAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn ?? '')?.[1];
  if (selection.organization !== true && arn !== null && roleAccount !== undefined && roleAccount !== arn[2]) {
    notes.push(
      `the event data store is not organization-enabled and belongs to account ${arn[2]}: it holds no events of account ${roleAccount}, where the role is`,
    );
  }
  return notes;
}

/** How unobservability was decided, for the plan and the text. */
export function observabilityBasis(selection: TrailSelection | undefined, roleArn?: string): ObservabilityBasis {
  if (selection === undefined) return { basis: 'inferred-from-logs' };
  if (selection.owner === 'event-data-store') {
    const notes = eventDataStoreNotes(selection, roleArn);
    return {
      basis: 'event-data-store-selectors',
      source: selection.source,
      ...(selection.trail !== null ? { eventDataStore: selection.trail } : {}),
      ...(selection.unknown === true ? { selectorsUnknown: true as const } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
  }
  return { basis: 'trail-selectors', source: selection.source, ...(selection.trail !== null ? { trail: selection.trail } : {}) };
}

/**
 * True when `action` is observable wherever it is granted: without trail selectors, an action
 * with no observability rule is a management event, which every trail logs. `unobservedParts` is
 * then undefined whatever the patterns, so a caller may skip computing them.
 */
export function observedEverywhere(action: ActionId, ctx: ObservabilityContext): boolean {
  return ctx.selection === undefined && observabilityRule(action) === undefined;
}

/**
 * Why `action` (granted on `patterns`) is not fully observable, and on which of the patterns:
 * undefined when every granted resource is logged (its absence from the logs then means unused).
 * Management actions are judged only against trail selectors (a trail logs all management events
 * unless its selectors say otherwise); data-event actions per granted resource pattern.
 */
export function unobservedParts(
  action: ActionId,
  patterns: readonly string[],
  ctx: ObservabilityContext,
): { reason: string; resources?: string[] } | undefined {
  if (observedEverywhere(action, ctx)) return undefined;
  const rule = observabilityRule(action);
  const selection = ctx.selection;
  if (selection?.unknown === true) {
    // Unknown selectors: management events judged as without selectors; every data-event
    // permission kept wherever it is granted, used or not.
    const { selection: _unknown, ...withoutSelection } = ctx;
    if (rule?.kind !== 'data-event') return unobservedParts(action, patterns, withoutSelection);
    return { reason: EVENT_DATA_STORE_SELECTORS_UNKNOWN, resources: [...patterns] };
  }
  const readOnly = isReadOnlyAction(ctx.catalog, action);
  const name = action.slice(action.indexOf(':') + 1);
  if (rule === undefined) {
    if (selection === undefined) return undefined;
    const eventSource = managementSourceOf(action);
    if (selectionCovers(selection, { category: 'Management', eventSource, eventName: name, readOnly })) return undefined;
    return {
      reason: `${describeSelection(selection)} do not log ${readOnly ? 'read-only' : 'write'} management events of ${eventSource}`,
    };
  }
  if (rule.kind !== 'data-event') return { reason: rule.reason };
  const row = rule.eventSource !== undefined ? dataResources.get(rule.eventSource) : undefined;
  const noDataEvents = unobservableReason(action, ctx.evidence);
  // A service without per-resource rows is judged per service, as before: data events in the logs
  // for its eventSource make its actions observable.
  if (row === undefined) return noDataEvents !== undefined ? { reason: noDataEvents } : undefined;
  // Without the trail's selectors and without any data event for the service: unobservable everywhere.
  if (selection === undefined && noDataEvents !== undefined) return { reason: noDataEvents };
  const kind = readOnly ? 'read' : 'write';
  // A bucket ARN (no key part) names no object: an object action granted on it reaches nothing there.
  // A pattern with a policy variable (`home/${aws:username}/*`) is left out: which resources it
  // names depends on the caller, so neither the selectors nor the logs can vouch for it.
  const isBucketArn = (p: string): boolean => /^arn:[^:]+:s3:::[^/*?]+$/.test(p);
  const onBuckets = ctx.catalog.action(action)?.resourceTypes.some((t) => t.name === 'bucket') === true;
  const reachable = (row.scope === 'bucket' && !onBuckets ? patterns.filter((p) => !isBucketArn(p)) : patterns).filter((p) => !p.includes('${'));
  const unobserved = reachable.filter((raw) => {
    // A bucket-level data event (ListObjects) is selected and seen as the bucket's objects are.
    const pattern = row.scope === 'bucket' && isBucketArn(raw) ? `${raw}/` : raw;
    return selection !== undefined
      ? !selectionCovers(selection, {
          category: 'Data',
          eventSource: row.eventSource,
          eventName: name,
          readOnly,
          resourceType: row.resourceType,
          resourcePattern: pattern,
          ...(row.allValue !== undefined ? { allValue: row.allValue } : {}),
        })
      : ![...ctx.seen[kind]].some((scope) => withinScope(pattern, scope));
  });
  if (unobserved.length === 0) return undefined;
  const where = unobserved.join(', ');
  return {
    reason:
      selection !== undefined
        ? `${rule.reason}; ${describeSelection(selection)} do not select ${readOnly ? 'read-only' : 'write'} ${row.resourceType} data events for ${where}`
        : `${rule.reason}; the logs show ${kind === 'read' ? 'read-only' : 'write'} data events for other resources only, not for ${where} (data events for one resource say nothing about another; --trail-config tells)`,
    resources: [...unobserved],
  };
}

/** The data-event resource scopes a role's own authorized calls show logged, by read and write. */
export function seenDataResources(catalog: IamCatalog, used: ReadonlyArray<{ action: ActionId; resources: readonly string[] }>): SeenDataResources {
  const seen: SeenDataResources = { read: new Set(), write: new Set() };
  for (const permission of used) {
    const rule = observabilityRule(permission.action);
    if (rule?.kind !== 'data-event' || rule.eventSource === undefined) continue;
    const target = isReadOnlyAction(catalog, permission.action) ? seen.read : seen.write;
    for (const resource of permission.resources) {
      const scope = scopeOf(rule.eventSource, resource);
      if (scope !== undefined) target.add(scope);
    }
  }
  return seen;
}

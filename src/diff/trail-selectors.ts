/**
 * A trail's own settings: its event selectors (the AWS CLI's `aws cloudtrail get-event-selectors`
 * output, or the GetEventSelectors API; `get-trail` output is accepted beside it) and whether they
 * log a given event. Basic selectors (`EventSelectors`: ReadWriteType, IncludeManagementEvents,
 * DataResources, ExcludeManagementEventSources) and advanced ones (`AdvancedEventSelectors`: AND of
 * FieldSelectors, OR across selectors) are both read. Pure; the question is always "is every event
 * of this kind, on every resource this pattern names, logged?", answered conservatively: a field
 * iamtrim cannot check against the pattern (userIdentity.arn, a NotEndsWith on ARNs) means "not
 * known to be logged", so the permission is kept, never called unused.
 */
import { InputError } from '../errors.js';

export interface BasicSelector {
  readWriteType: 'ReadOnly' | 'WriteOnly' | 'All';
  includeManagementEvents: boolean;
  excludeManagementEventSources: string[];
  dataResources: { type: string; values: string[] }[];
}

export interface FieldSelector {
  field: string;
  equals?: string[];
  startsWith?: string[];
  endsWith?: string[];
  notEquals?: string[];
  notStartsWith?: string[];
  notEndsWith?: string[];
}

export interface TrailSelection {
  /** Where the selectors came from: `--trail-config FILE`, `GetEventSelectors <trail>` or `GetEventDataStore <store>`. */
  source: string;
  /** The trail's ARN, or the event data store's (`owner: 'event-data-store'`). */
  trail: string | null;
  /** Whose selectors: a trail's (the default) or a CloudTrail Lake event data store's. */
  owner?: 'trail' | 'event-data-store';
  basic: BasicSelector[];
  advanced: FieldSelector[][];
  /**
   * The selectors could not be read (GetEventDataStore denied): data events are not known to be
   * collected, so no data-event permission is called unused; management events are judged as
   * without selectors.
   */
  unknown?: true;
  /** An event data store's reach: false when it collects its home Region's events only. */
  multiRegion?: boolean;
  /** An event data store's reach: true when it collects the events of every account of the organization. */
  organization?: boolean;
}

/** One kind of event on a resource pattern: what a selector must log for the pattern to be observable. */
export interface EventQuery {
  category: 'Management' | 'Data';
  eventSource: string;
  eventName: string;
  readOnly: boolean;
  /** Data events: the CloudTrail resources.type and the IAM resource pattern granted. */
  resourceType?: string;
  resourcePattern?: string;
  /** Basic DataResources value meaning every resource of the type (`arn:aws:s3`). */
  allValue?: string;
}

function fail(source: string, what: string): never {
  throw new InputError(`${source}: ${what}`, {
    hint: 'pass the output of `aws cloudtrail get-event-selectors --trail-name NAME` (JSON), optionally with `aws cloudtrail get-trail` output in a JSON array beside it; with --lake, `aws cloudtrail get-event-data-store --event-data-store ID`',
  });
}

function strings(value: unknown, source: string, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(source, `${where} is not a list of strings`);
  return value as string[];
}

/** Reads get-event-selectors output (and any get-trail output beside it, in an array). */
export function parseTrailConfig(json: unknown, source: string): TrailSelection {
  const documents = Array.isArray(json) ? json : [json];
  let selection: TrailSelection | undefined;
  let trail: string | null = null;
  for (const doc of documents) {
    if (doc === null || typeof doc !== 'object') fail(source, 'not a JSON object');
    const d = doc as Record<string, unknown>;
    if (typeof d['Trail'] === 'object' && d['Trail'] !== null) {
      const t = d['Trail'] as Record<string, unknown>;
      if (typeof t['TrailARN'] === 'string') trail = t['TrailARN'];
      continue;
    }
    if (!('EventSelectors' in d) && !('AdvancedEventSelectors' in d))
      fail(source, 'no EventSelectors or AdvancedEventSelectors (is it get-event-selectors output?)');
    if (selection !== undefined) fail(source, 'two get-event-selectors outputs; pass one trail');
    selection = parseSelectors(d, source);
    if (typeof d['TrailARN'] === 'string') trail = d['TrailARN'];
    // `aws cloudtrail get-event-data-store` output: the same advanced selectors, a store's reach.
    if (typeof d['EventDataStoreArn'] === 'string') {
      trail = d['EventDataStoreArn'];
      selection = {
        ...selection,
        owner: 'event-data-store',
        ...(typeof d['MultiRegionEnabled'] === 'boolean' ? { multiRegion: d['MultiRegionEnabled'] } : {}),
        ...(typeof d['OrganizationEnabled'] === 'boolean' ? { organization: d['OrganizationEnabled'] } : {}),
      };
    }
  }
  if (selection === undefined) fail(source, 'get-trail output alone does not hold the event selectors; add get-event-selectors output');
  return { ...selection, trail };
}

function parseSelectors(d: Record<string, unknown>, source: string): TrailSelection {
  const basicRaw = d['EventSelectors'] ?? [];
  const advancedRaw = d['AdvancedEventSelectors'] ?? [];
  if (!Array.isArray(basicRaw) || !Array.isArray(advancedRaw)) fail(source, 'EventSelectors and AdvancedEventSelectors must be lists');
  const basic = basicRaw.map((raw, i): BasicSelector => {
    const s = (raw ?? {}) as Record<string, unknown>;
    const rw = s['ReadWriteType'] ?? 'All';
    if (rw !== 'ReadOnly' && rw !== 'WriteOnly' && rw !== 'All')
      fail(source, `EventSelectors[${i}].ReadWriteType ${String(rw)} is not ReadOnly, WriteOnly or All`);
    const resources = s['DataResources'] ?? [];
    if (!Array.isArray(resources)) fail(source, `EventSelectors[${i}].DataResources is not a list`);
    return {
      readWriteType: rw,
      // The API's default: management events are included unless set false.
      includeManagementEvents: s['IncludeManagementEvents'] !== false,
      excludeManagementEventSources: strings(s['ExcludeManagementEventSources'], source, `EventSelectors[${i}].ExcludeManagementEventSources`),
      dataResources: resources.map((r, j) => {
        const res = (r ?? {}) as Record<string, unknown>;
        if (typeof res['Type'] !== 'string') fail(source, `EventSelectors[${i}].DataResources[${j}] has no Type`);
        return { type: res['Type'], values: strings(res['Values'], source, `EventSelectors[${i}].DataResources[${j}].Values`) };
      }),
    };
  });
  const advanced = advancedRaw.map((raw, i): FieldSelector[] => {
    const fields = ((raw ?? {}) as Record<string, unknown>)['FieldSelectors'];
    if (!Array.isArray(fields) || fields.length === 0) fail(source, `AdvancedEventSelectors[${i}] has no FieldSelectors`);
    return fields.map((f, j) => {
      const fs = (f ?? {}) as Record<string, unknown>;
      if (typeof fs['Field'] !== 'string') fail(source, `AdvancedEventSelectors[${i}].FieldSelectors[${j}] has no Field`);
      const where = `AdvancedEventSelectors[${i}].FieldSelectors[${j}]`;
      const out: FieldSelector = { field: fs['Field'] };
      for (const [key, name] of [
        ['equals', 'Equals'],
        ['startsWith', 'StartsWith'],
        ['endsWith', 'EndsWith'],
        ['notEquals', 'NotEquals'],
        ['notStartsWith', 'NotStartsWith'],
        ['notEndsWith', 'NotEndsWith'],
      ] as const)
        if (fs[name] !== undefined) out[key] = strings(fs[name], source, `${where}.${name}`);
      return out;
    });
  });
  return { source, trail: null, basic, advanced };
}

/** The literal start of an IAM resource pattern: everything before its first wildcard. */
function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?]/);
  return i < 0 ? pattern : pattern.slice(0, i);
}

const hasWildcard = (pattern: string): boolean => /[*?]/.test(pattern);

/** Whether every ARN `pattern` can name starts with `prefix`. */
function allStartWith(pattern: string, prefix: string): boolean {
  return literalPrefix(pattern).startsWith(prefix);
}

/** Whether some ARN `pattern` can name starts with `prefix`. */
function someStartWith(pattern: string, prefix: string): boolean {
  const literal = literalPrefix(pattern);
  return hasWildcard(pattern) ? literal.startsWith(prefix) || prefix.startsWith(literal) : pattern.startsWith(prefix);
}

/** Whether a basic selector logs every event of `q`. */
function basicCovers(s: BasicSelector, q: EventQuery): boolean {
  if (s.readWriteType === 'ReadOnly' && !q.readOnly) return false;
  if (s.readWriteType === 'WriteOnly' && q.readOnly) return false;
  if (q.category === 'Management') return s.includeManagementEvents && !s.excludeManagementEventSources.includes(q.eventSource);
  const pattern = q.resourcePattern ?? '*';
  return s.dataResources.some(
    (r) =>
      r.type === q.resourceType &&
      r.values.some((v) => (q.allValue !== undefined && (v === q.allValue || v === `${q.allValue}:::`)) || allStartWith(pattern, v)),
  );
}

/** The value an event of `q` has for an advanced selector's field, or undefined when it is not checkable. */
function fieldCovers(f: FieldSelector, q: EventQuery): boolean {
  const one = (value: string): boolean =>
    (f.equals === undefined || f.equals.includes(value)) &&
    (f.startsWith === undefined || f.startsWith.some((p) => value.startsWith(p))) &&
    (f.endsWith === undefined || f.endsWith.some((p) => value.endsWith(p))) &&
    (f.notEquals === undefined || !f.notEquals.includes(value)) &&
    (f.notStartsWith === undefined || !f.notStartsWith.some((p) => value.startsWith(p))) &&
    (f.notEndsWith === undefined || !f.notEndsWith.some((p) => value.endsWith(p)));
  switch (f.field) {
    case 'eventCategory':
      return one(q.category);
    case 'eventSource':
      return one(q.eventSource);
    case 'eventName':
      return one(q.eventName);
    case 'readOnly':
      return one(String(q.readOnly));
    case 'resources.type':
      return q.resourceType !== undefined && one(q.resourceType);
    case 'resources.ARN': {
      const pattern = q.resourcePattern ?? '*';
      if (!hasWildcard(pattern)) return one(pattern);
      // Every ARN the pattern names must pass: only prefix conditions can be decided for a pattern.
      if (f.equals !== undefined || f.endsWith !== undefined || f.notEquals !== undefined || f.notEndsWith !== undefined) return false;
      return (
        (f.startsWith === undefined || f.startsWith.some((p) => allStartWith(pattern, p))) &&
        (f.notStartsWith === undefined || !f.notStartsWith.some((p) => someStartWith(pattern, p)))
      );
    }
    default:
      // userIdentity.arn, eventType, sessionCredentialFromConsole, …: a filter iamtrim cannot
      // check against a permission, so the selector is not known to log every such call.
      return false;
  }
}

/** Whether some selector of the trail logs every event of `q` (on every resource its pattern names). */
export function selectionCovers(selection: TrailSelection, q: EventQuery): boolean {
  return selection.basic.some((s) => basicCovers(s, q)) || selection.advanced.some((fields) => fields.every((f) => fieldCovers(f, q)));
}

/** What the selectors leave out, in words, for the reason shown with a kept permission. */
export function describeSelection(selection: TrailSelection): string {
  const whose = selection.owner === 'event-data-store' ? "the event data store's selectors" : "the trail's event selectors";
  return `${whose} (${selection.source}${selection.trail !== null ? `, ${selection.trail}` : ''})`;
}

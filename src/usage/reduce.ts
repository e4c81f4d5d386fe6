/**
 * The reducer: grouped call rows -> per-role usage (actions x resources, counts, first/last
 * seen), through the event -> action mapping. Denied attempts and unmapped calls are kept apart:
 * they are never grants, and an unmapped call is evidence we could not translate, not absence.
 */
import { compareText } from '../util/compare-text.js';
import { FOLD_LIMIT, FOLDED_PARAM, isFoldedPrefix } from '../ingest/fold.js';
import { hasWildcard } from '../iam/wildcard-patterns.js';
import type {
  CallRow,
  FoldedKey,
  CallUsage,
  DeniedAttempt,
  Diagnostic,
  FailedAttempt,
  MappedCall,
  PermissionUsage,
  RoleUsage,
  UnmappedCall,
  UnresolvedResource,
  UsageReport,
  UsageScan,
} from '../model.js';

export type CallMapper = (row: CallRow) => MappedCall;

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareText);
}

function earlier(a: string, b: string): string {
  return a <= b ? a : b;
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

interface CallAccumulator {
  usage: CallUsage;
  actions: Set<string>;
  resources: Set<string>;
  folded: Map<string, FoldedKey>;
}

/** Sums diagnostics that say the same thing about the same subject. */
export function mergeDiagnostics(diagnostics: Iterable<Diagnostic>): Diagnostic[] {
  const merged = new Map<string, Diagnostic>();
  for (const d of diagnostics) {
    const key = `${d.code}\u0000${d.subject ?? ''}\u0000${d.message}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { ...d });
    else if (d.count !== undefined) seen.count = (seen.count ?? 0) + d.count;
  }
  return [...merged.values()].sort((a, b) => compareText(a.code, b.code) || compareText(a.subject ?? '', b.subject ?? '') || compareText(a.message, b.message));
}

function reduceRole(role: string, rows: readonly CallRow[], mapCall: CallMapper): RoleUsage {
  const calls = new Map<string, CallAccumulator>();
  const used = new Map<
    string,
    PermissionUsage & {
      resourceSet: Set<string>;
      viaSet: Set<string>;
      foldedSet: Set<string>;
      unresolvedMap: Map<string, { calls: Set<string>; count: number }>;
    }
  >();
  /** Per denied action, the resources its denied requests named (a Set: linear in the rows). */
  const deniedResources = new Map<string, Set<string>>();
  const denied = new Map<string, DeniedAttempt>();
  const unmapped = new Map<string, UnmappedCall & { resourceSet: Set<string> }>();
  const failed = new Map<string, { action: string; count: number; lastSeen: string; codes: Set<string> }>();
  const diagnostics: Diagnostic[] = [];
  let events = 0;

  for (const row of rows) {
    events += row.count;
    const mapped = mapCall(row);
    for (const d of mapped.diagnostics) diagnostics.push({ ...d, count: d.count ?? row.count });
    const callKey = `${row.eventSource} ${row.eventName}`;
    let call = calls.get(callKey);
    if (call === undefined) {
      call = {
        usage: {
          eventSource: row.eventSource,
          eventName: row.eventName,
          actions: [],
          resources: [],
          count: 0,
          denied: 0,
          firstSeen: row.firstSeen,
          lastSeen: row.lastSeen,
          mapping: mapped.kind === 'ignored' ? `ignored: ${mapped.reason}` : mapped.kind,
        },
        actions: new Set(),
        resources: new Set(),
        folded: new Map(),
      };
      calls.set(callKey, call);
    }
    const foldedKey = row.params[FOLDED_PARAM];
    if (row.foldedDepth !== undefined && foldedKey !== undefined) {
      // Shown as what it is: a prefix standing for more than FOLD_LIMIT distinct keys, never as one key.
      const bucket = row.params['bucketName'] ?? '';
      const note = `folded, >${FOLD_LIMIT} distinct keys`;
      call.folded.set(JSON.stringify([bucket, foldedKey]), { bucket, key: foldedKey, depth: row.foldedDepth, note });
      diagnostics.push({
        code: 's3-keys-folded',
        severity: 'info',
        subject: `${row.eventSource}:${row.eventName}`,
        message: `${row.eventName}: more than ${FOLD_LIMIT} distinct S3 object keys; keys folded to their first ${row.foldedDepth} path segment(s), each shown as prefix/* (the resource covers every key under it)`,
        count: row.count,
      });
    }
    call.usage.firstSeen = earlier(call.usage.firstSeen, row.firstSeen);
    call.usage.lastSeen = later(call.usage.lastSeen, row.lastSeen);

    if (mapped.kind === 'ignored') {
      call.usage.count += row.count;
      continue;
    }
    if (mapped.outcome === 'failed') {
      // Authentication failure, throttling, validation error: no proof the permission was used.
      call.usage.failed = (call.usage.failed ?? 0) + row.count;
      for (const permission of mapped.kind === 'mapped' ? mapped.permissions : []) {
        call.actions.add(permission.action);
        const entry = failed.get(permission.action) ?? { action: permission.action, count: 0, lastSeen: row.lastSeen, codes: new Set<string>() };
        entry.count += row.count;
        entry.lastSeen = later(entry.lastSeen, row.lastSeen);
        entry.codes.add(row.errorCode ?? '');
        failed.set(permission.action, entry);
      }
      diagnostics.push({
        code: 'failed-call',
        severity: 'info',
        subject: `${row.eventSource}:${row.eventName}`,
        message: `${row.eventName} failed with ${row.errorCode ?? ''} (authentication, throttling or validation): not counted as use`,
        count: row.count,
      });
      continue;
    }
    if (mapped.kind === 'unmapped') {
      const entry = unmapped.get(callKey) ?? {
        eventSource: row.eventSource,
        eventName: row.eventName,
        count: 0,
        denied: 0,
        service: mapped.service ?? row.eventSource.split('.')[0] ?? row.eventSource,
        resources: [],
        resourceSet: new Set<string>(),
      };
      entry.count += row.count;
      if (mapped.outcome === 'denied') {
        call.usage.denied += row.count;
        entry.denied += row.count;
      } else {
        call.usage.count += row.count;
        for (const arn of row.resourceArns) entry.resourceSet.add(arn);
      }
      unmapped.set(callKey, entry);
      continue;
    }
    if (mapped.outcome === 'denied') {
      call.usage.denied += row.count;
      for (const permission of mapped.permissions) {
        call.actions.add(permission.action);
        const entry = denied.get(permission.action) ?? { action: permission.action, count: 0, firstSeen: row.firstSeen, lastSeen: row.lastSeen, resources: [] };
        entry.count += row.count;
        entry.firstSeen = row.firstSeen < entry.firstSeen ? row.firstSeen : entry.firstSeen;
        entry.lastSeen = later(entry.lastSeen, row.lastSeen);
        const seen = deniedResources.get(permission.action) ?? new Set<string>();
        for (const r of permission.resources) seen.add(r);
        deniedResources.set(permission.action, seen);
        denied.set(permission.action, entry);
      }
      continue;
    }
    call.usage.count += row.count;
    const prefix = row.foldedDepth !== undefined && foldedKey !== undefined && isFoldedPrefix(foldedKey, row.foldedDepth) ? `/${foldedKey}` : undefined;
    for (const permission of mapped.permissions) {
      call.actions.add(permission.action);
      for (const r of permission.resources) call.resources.add(r);
      let entry = used.get(permission.action);
      if (entry === undefined) {
        entry = {
          action: permission.action,
          resources: [],
          count: 0,
          firstSeen: row.firstSeen,
          lastSeen: row.lastSeen,
          resourceSet: new Set(),
          viaSet: new Set(),
          foldedSet: new Set(),
          unresolvedMap: new Map(),
        };
        used.set(permission.action, entry);
      }
      entry.count += row.count;
      entry.firstSeen = earlier(entry.firstSeen, row.firstSeen);
      entry.lastSeen = later(entry.lastSeen, row.lastSeen);
      for (const r of permission.resources) entry.resourceSet.add(r);
      if (prefix !== undefined) for (const r of permission.resources) if (r.startsWith('arn:') && r.endsWith(prefix)) entry.foldedSet.add(r);
      if (permission.via !== undefined) entry.viaSet.add(permission.via);
      for (const r of permission.resources) {
        // A pattern the mapper wrote because the event did not name the resource (not a folded prefix).
        if (r === '*' || !hasWildcard(r) || (prefix !== undefined && r.startsWith('arn:') && r.endsWith(prefix))) continue;
        const u = entry.unresolvedMap.get(r) ?? { calls: new Set<string>(), count: 0 };
        u.calls.add(callKey);
        u.count += row.count;
        entry.unresolvedMap.set(r, u);
      }
    }
  }

  return {
    role,
    events,
    calls: [...calls.values()]
      .map((c) => {
        const usage: CallUsage = { ...c.usage, actions: sortedUnique(c.actions), resources: sortedUnique(c.resources) };
        if (c.folded.size > 0) usage.folded = [...c.folded.entries()].sort(([a], [b]) => compareText(a, b)).map(([, f]) => f);
        return usage;
      })
      .sort((a, b) => compareText(a.eventSource, b.eventSource) || compareText(a.eventName, b.eventName)),
    used: [...used.values()]
      .map(({ resourceSet, viaSet, foldedSet, unresolvedMap, ...p }): PermissionUsage => {
        const usage: PermissionUsage = { ...p, resources: sortedUnique(resourceSet) };
        if (viaSet.size > 0) usage.via = sortedUnique(viaSet);
        if (foldedSet.size > 0) usage.folded = sortedUnique(foldedSet);
        if (unresolvedMap.size > 0)
          usage.unresolved = [...unresolvedMap]
            .sort(([a], [b]) => compareText(a, b))
            .map(([resource, u]): UnresolvedResource => ({ resource, calls: sortedUnique(u.calls), count: u.count }));
        return usage;
      })
      .sort((a, b) => compareText(a.action, b.action)),
    denied: [...denied.values()]
      .map((d) => ({ ...d, resources: [...(deniedResources.get(d.action) ?? [])].sort(compareText) }))
      .sort((a, b) => compareText(a.action, b.action)),
    ...(failed.size > 0
      ? {
          failed: [...failed.values()]
            .map(({ codes, ...f }): FailedAttempt => ({ ...f, errorCodes: sortedUnique(codes) }))
            .sort((a, b) => compareText(a.action, b.action)),
        }
      : {}),
    unmapped: [...unmapped.values()]
      .map(({ resourceSet, ...u }): UnmappedCall => ({ ...u, resources: sortedUnique(resourceSet) }))
      .sort((a, b) => compareText(a.eventSource, b.eventSource) || compareText(a.eventName, b.eventName)),
    diagnostics: mergeDiagnostics(diagnostics),
  };
}

/** Reduces a scan to per-role usage; roles are sorted by ARN. */
export function reduceUsage(scan: UsageScan, mapCall: CallMapper): UsageReport {
  const byRole = new Map<string, CallRow[]>();
  for (const row of scan.rows) {
    const rows = byRole.get(row.roleArn);
    if (rows === undefined) byRole.set(row.roleArn, [row]);
    else rows.push(row);
  }
  return {
    window: scan.window,
    evidence: scan.evidence,
    roles: [...byRole.keys()].sort(compareText).map((role) => reduceRole(role, byRole.get(role) ?? [], mapCall)),
  };
}

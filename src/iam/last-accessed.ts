/**
 * IAM's own last-accessed evidence (Access Advisor): when a role last used each service, and each
 * tracked action, over at least 400 days. It reaches further back than any CloudTrail window, so
 * a quarterly job or a yearly key rotation that the window missed is still seen. Read it as IAM
 * defines it: an attempt counts even when it was denied, and only what the response lists is
 * evidence (an action IAM does not track is known only at its service's level; a service IAM
 * does not list says nothing).
 *
 * Two adapters produce one `LastAccessedReport` per role: the AWS CLI's JSON output of
 * `aws iam get-service-last-accessed-details` (a file, or a folder of `<role name>.json` files),
 * and live IAM (GenerateServiceLastAccessedDetails with ACTION_LEVEL granularity, polled
 * GetServiceLastAccessedDetails, bounded concurrency; last-accessed-live.ts, apart so that only
 * `--last-accessed live` loads the AWS SDK). `lastAccessedKeeps` is the pure rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import type { LastAccessedKeep } from '../model.js';

export type { LastAccessedKeep };

export interface TrackedActionAccess {
  /** `s3:GetObject`. */
  action: string;
  /** ISO-8601; absent when IAM tracks the action and saw no attempt. */
  lastAccessed?: string;
}

export interface ServiceAccess {
  /** The IAM service prefix, e.g. `s3`. */
  namespace: string;
  /** ISO-8601; absent when no attempt was seen in IAM's tracking period. */
  lastAuthenticated?: string;
  /** Present when IAM tracks this service at action level (ACTION_LEVEL jobs only). */
  trackedActions?: TrackedActionAccess[];
}

export interface LastAccessedReport {
  /** Role name the report is for (from the file name or the live call). */
  roleName: string;
  /** When IAM completed the report (ISO-8601): the evidence's "as of" date. */
  asOf: string;
  granularity: 'SERVICE_LEVEL' | 'ACTION_LEVEL';
  services: ServiceAccess[];
  /** Where it came from, for messages: a file path or `live IAM`. */
  origin: string;
}

export type Json = Record<string, unknown>;

function isoOf(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'string' || value === '') return undefined;
  const time = Date.parse(value.includes('T') ? value : value.replace(' ', 'T'));
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Parses one GetServiceLastAccessedDetails response (AWS CLI JSON output or an SDK response). */
export function parseLastAccessedDetails(json: unknown, roleName: string, origin: string): LastAccessedReport {
  const fail = (why: string): InputError =>
    new InputError(`${origin}: ${why}`, {
      hint: 'expected the output of aws iam get-service-last-accessed-details --job-id <id> (after generate-service-last-accessed-details --granularity ACTION_LEVEL)',
    });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail('not a JSON object');
  const body = json as Json;
  if (body['JobStatus'] !== 'COMPLETED') {
    throw fail(`the report job is ${String(body['JobStatus'] ?? 'missing a JobStatus')}, not COMPLETED`);
  }
  const list = body['ServicesLastAccessed'];
  if (!Array.isArray(list)) throw fail('no ServicesLastAccessed list');
  const asOf = isoOf(body['JobCompletionDate']);
  if (asOf === undefined) throw fail('no JobCompletionDate');
  const granularity = body['JobType'] === 'ACTION_LEVEL' ? 'ACTION_LEVEL' : 'SERVICE_LEVEL';
  const services: ServiceAccess[] = list.map((entry, i) => {
    const row = (entry ?? {}) as Json;
    const namespace = row['ServiceNamespace'];
    if (typeof namespace !== 'string' || namespace === '') throw fail(`ServicesLastAccessed[${i}] has no ServiceNamespace`);
    const service: ServiceAccess = { namespace: namespace.toLowerCase() };
    const last = isoOf(row['LastAuthenticated']);
    if (last !== undefined) service.lastAuthenticated = last;
    const tracked = row['TrackedActionsLastAccessed'];
    if (Array.isArray(tracked)) {
      service.trackedActions = tracked
        .map((t) => (t ?? {}) as Json)
        .filter((t) => typeof t['ActionName'] === 'string')
        .map((t) => {
          const action: TrackedActionAccess = { action: `${service.namespace}:${String(t['ActionName'])}` };
          const when = isoOf(t['LastAccessedTime']);
          if (when !== undefined) action.lastAccessed = when;
          return action;
        });
    }
    return service;
  });
  return { roleName, asOf, granularity, services, origin };
}

/**
 * `--last-accessed PATH`: one file (for the role being minimized) or a folder of
 * `<role name>.json` files (drift, one per role). Role names match case-insensitively, as IAM's do.
 */
export function readLastAccessedPath(path: string, roleNameForFile?: string): Map<string, LastAccessedReport> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`--last-accessed ${path}: no such file or folder`, {
      hint: 'give the JSON output of aws iam get-service-last-accessed-details, or a folder of <role name>.json files',
    });
  }
  const files = isDir
    ? readdirSync(path)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => ({ file: join(path, f), role: basename(f, '.json') }))
    : [{ file: path, role: roleNameForFile ?? basename(path, '.json') }];
  const reports = new Map<string, LastAccessedReport>();
  for (const { file, role } of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new InputError(`--last-accessed ${file}: not readable JSON (${(error as Error).message.split('\n')[0]})`);
    }
    reports.set(role.toLowerCase(), parseLastAccessedDetails(json, role, file));
  }
  return reports;
}

const DAY_MS = 86_400_000;

/**
 * The granted actions IAM saw attempted within `days` of `asOf`: an action IAM tracks is kept on
 * its own date; an action IAM does not track is kept when its service was accessed. A tracked
 * action with no date is not kept (IAM would have seen it). Sorted by action.
 */
export function lastAccessedKeeps(report: LastAccessedReport, granted: readonly string[], days: number): LastAccessedKeep[] {
  const cutoff = Date.parse(report.asOf) - days * DAY_MS;
  const recent = (iso: string | undefined): iso is string => iso !== undefined && Date.parse(iso) >= cutoff;
  const byService = new Map(report.services.map((s) => [s.namespace, s]));
  const keeps: LastAccessedKeep[] = [];
  for (const action of granted) {
    const service = byService.get(action.slice(0, action.indexOf(':')).toLowerCase());
    if (service === undefined) continue;
    const tracked = service.trackedActions?.find((t) => t.action.toLowerCase() === action.toLowerCase());
    if (tracked !== undefined) {
      if (recent(tracked.lastAccessed)) keeps.push({ action, lastAccessed: tracked.lastAccessed, level: 'action' });
    } else if (recent(service.lastAuthenticated)) {
      keeps.push({ action, lastAccessed: service.lastAuthenticated, level: 'service' });
    }
  }
  return keeps.sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

/**
 * Issue 18, "done when" 2: delete the mapping of any observed call (in the golden fixtures and in
 * the real CloudTrail datasets) and the proposal still allows that call, through the fail-safe,
 * and names it as unmapped. An exhaustive loop over every observed, authorized, mapped call: the
 * mapper is the production one with that call answered `unmapped` (the tables are not edited;
 * `withoutMapping`), and the call's true pairs come from the unmodified mapping. Allowed is judged
 * by iam-simulate (the independent evaluator), on every true pair today's policies allow.
 *
 * The real datasets hold no IAM snapshot for their roles: each role gets a grant of exactly the
 * pairs the unmodified mapping derives for its authorized calls (the tightest grant that explains
 * the logs), so the fail-safe has nothing broad to fall back on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMinimize } from '../src/app/minimize.js';
import { loadReferenceData } from '../src/cli/context.js';
import { findRole } from '../src/iam/find-role.js';
import type { IamCatalog } from '../src/iam/catalog.js';
import { readIamSnapshotFile } from '../src/iam/snapshot-file.js';
import { type CloudTrailRecord, groupRecords } from '../src/ingest/reference.js';
import { createPrefixResolver } from '../src/mapping/map-call.js';
import type { CallRow, Evidence, IamSnapshot, PolicyDocument, RoleGrant, TimeWindow } from '../src/model.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { probeFor, simulate } from './helpers/simulate.js';
import { withoutMapping } from './helpers/unmapped-mapper.js';

const ALL_TIME: TimeWindow = { start: '1970-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' };
const DATASETS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets', 'cloudtrail');
const datasetsPresent = existsSync(DATASETS);
if (!datasetsPresent) console.log(`fail-safe-property: ${DATASETS} is absent; the real-dataset half is skipped`);

function isRecord(value: unknown): value is CloudTrailRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A delivery file, a JSON array, or JSON lines, gzipped or not. */
function readRecords(path: string): CloudTrailRecord[] {
  const text = (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8').trim();
  if (text === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed.filter(isRecord);
    const list: unknown = isRecord(parsed) ? Reflect.get(parsed, 'Records') : undefined;
    if (Array.isArray(list)) return list.filter(isRecord);
    return isRecord(parsed) ? [parsed] : [];
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l): unknown => JSON.parse(l))
      .filter(isRecord);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .filter((f) => /\.(json|log|jsonl)(\.gz)?$/.test(f) && !f.endsWith('policy-to-guess.json'))
    .sort();
}

function evidenceOf(rows: readonly CallRow[]): Evidence {
  const times = rows.flatMap((r) => [r.firstSeen, r.lastSeen]).sort();
  return {
    source: 'test',
    files: 1,
    bytes: 1,
    skippedFiles: [],
    records: rows.reduce((n, r) => n + r.count, 0),
    invalidRecords: 0,
    events: rows.reduce((n, r) => n + r.count, 0),
    covered: { first: times[0] ?? null, last: times[times.length - 1] ?? null },
    dataEventSources: [...new Set(rows.filter((r) => r.eventCategory === 'Data').map((r) => r.eventSource))].sort(),
  };
}

interface Subject {
  label: string;
  grant: RoleGrant;
  iam: IamSnapshot;
  rows: CallRow[];
  window: TimeWindow;
}

interface Outcome {
  calls: number;
  pairs: number;
  keptActions: number;
  byMatch: Record<string, number>;
  failures: string[];
}

function addOutcome(total: Outcome, outcome: Outcome): void {
  total.calls += outcome.calls;
  total.pairs += outcome.pairs;
  total.keptActions += outcome.keptActions;
  for (const [k, v] of Object.entries(outcome.byMatch)) total.byMatch[k] = (total.byMatch[k] ?? 0) + v;
  total.failures.push(...outcome.failures);
}

let catalog: IamCatalog;
let base: CallMapper;
const prefixOf = createPrefixResolver();

beforeAll(async () => {
  ({ catalog, mapCall: base } = await loadReferenceData());
});

/** The exhaustive loop: every authorized mapped call of the subject, its mapping deleted in turn. */
async function deleteEachMapping(subject: Subject, mapperFor: (iam: IamSnapshot) => Promise<CallMapper>): Promise<Outcome> {
  const mapper = await mapperFor(subject.iam);
  const current = subject.grant.policies.map((p) => p.document);
  const boundary = subject.grant.boundary?.document;
  const account = subject.grant.accountId;
  const outcome: Outcome = { calls: 0, pairs: 0, keptActions: 0, byMatch: {}, failures: [] };
  const calls = [...new Set(subject.rows.map((r) => `${r.eventSource} ${r.eventName}`))].sort();
  const todayCache = new Map<string, string>();
  for (const call of calls) {
    const own = subject.rows.filter((r) => `${r.eventSource} ${r.eventName}` === call);
    const pairs = new Set<string>();
    for (const row of own) {
      const mapped = mapper(row);
      if (mapped.kind !== 'mapped' || mapped.outcome !== 'authorized') continue;
      for (const p of mapped.permissions) for (const r of p.resources) pairs.add(JSON.stringify([p.action, probeFor(catalog, p.action, r, account)]));
    }
    if (pairs.size === 0) continue;
    // Only the pairs today's policies allow: a call allowed through a resource policy is no grant to keep.
    const truePairs: [string, string][] = [];
    for (const pair of [...pairs].sort()) {
      const [action, resource] = JSON.parse(pair) as [string, string];
      const today = todayCache.get(pair) ?? (await simulate(current, boundary, action, resource, account));
      todayCache.set(pair, today);
      if (today === 'Allowed') truePairs.push([action, resource]);
    }
    if (truePairs.length === 0) continue;
    outcome.calls += 1;
    const plan = await runMinimize(
      {
        catalog,
        mapCall: withoutMapping(mapper, new Set([call]), prefixOf),
        iam: subject.iam,
        source: { description: 'test', scan: () => Promise.resolve({ window: subject.window, rows: subject.rows, evidence: evidenceOf(subject.rows) }) },
      },
      {
        role: subject.grant.arn,
        window: subject.window,
        allowEmpty: true,
        allowPartialWindow: true,
        proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
      },
    );
    const named = plan.unmapped.find((u) => `${u.eventSource} ${u.eventName}` === call);
    if (named === undefined || named.match === 'denied-only') outcome.failures.push(`${subject.label}: ${call} not named as unmapped`);
    else {
      outcome.byMatch[named.match] = (outcome.byMatch[named.match] ?? 0) + 1;
      outcome.keptActions += named.kept.length;
    }
    for (const [action, resource] of truePairs) {
      outcome.pairs += 1;
      const result = await simulate(plan.proposed, boundary, action, resource, account);
      if (result !== 'Allowed') outcome.failures.push(`${subject.label}: ${call} without its mapping: ${action} on ${resource} is ${result}`);
    }
  }
  return outcome;
}

describe('delete the mapping of any observed call: the fail-safe keeps it allowed and names it', () => {
  it('golden fixtures: every authorized call of every scenario', async () => {
    const scenarios = readdirSync('fixtures')
      .filter((n) => existsSync(join('fixtures', n, 'args.json')))
      .sort();
    expect(scenarios.length).toBeGreaterThanOrEqual(5);
    const total: Outcome = { calls: 0, pairs: 0, keptActions: 0, byMatch: {}, failures: [] };
    for (const name of scenarios) {
      const args = JSON.parse(readFileSync(join('fixtures', name, 'args.json'), 'utf8')) as { role: string; end: string; days: number };
      const iam = await readIamSnapshotFile(join('fixtures', name, 'iam.json'));
      const grant = findRole(iam, args.role);
      const window = { start: new Date(Date.parse(args.end) - args.days * 86_400_000).toISOString().replace('.000Z', 'Z'), end: args.end };
      const records = filesUnder(join('fixtures', name, 'logs')).flatMap(readRecords);
      const rows = groupRecords(records, { kind: 'roles', arns: [grant.arn], names: [] }, window);
      const outcome = await deleteEachMapping({ label: name, grant, iam, rows, window }, async (snapshot) => (await loadReferenceData(snapshot)).mapCall);
      addOutcome(total, outcome);
    }
    console.log('fail-safe property, golden fixtures:', JSON.stringify({ ...total, failures: total.failures.length }));
    expect(total.failures).toEqual([]);
    expect(total.calls).toBeGreaterThanOrEqual(20);
  }, 300_000);

  it.skipIf(!datasetsPresent)(
    'real CloudTrail datasets: every authorized call of every role, under the tightest grant that explains the logs',
    async () => {
      const records = filesUnder(DATASETS).flatMap(readRecords);
      const rows = groupRecords(records, { kind: 'all' }, ALL_TIME);
      const roles = [...new Set(rows.map((r) => r.roleArn))].sort();
      const total: Outcome = { calls: 0, pairs: 0, keptActions: 0, byMatch: {}, failures: [] };
      for (const roleArn of roles) {
        const own = rows.filter((r) => r.roleArn === roleArn);
        const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
        const account = roleArn.split(':')[4] ?? '';
        // The tightest grant: exactly the pairs the unmodified mapping derives for the authorized calls.
        const byAction = new Map<string, Set<string>>();
        for (const row of own) {
          const mapped = base(row);
          if (mapped.kind !== 'mapped' || mapped.outcome !== 'authorized') continue;
          for (const p of mapped.permissions) for (const r of p.resources) byAction.set(p.action, (byAction.get(p.action) ?? new Set()).add(r));
        }
        if (byAction.size === 0) continue;
        const document: PolicyDocument = {
          Version: '2012-10-17',
          Statement: [...byAction]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([action, resources]) => ({ Effect: 'Allow', Action: action, Resource: [...resources].sort() })),
        };
        const grant: RoleGrant = {
          arn: roleArn,
          name,
          path: roleArn.slice(roleArn.indexOf(':role/') + 5, roleArn.lastIndexOf('/') + 1) || '/',
          accountId: account,
          policies: [{ kind: 'inline', name: 'observed', document }],
          serviceLinked: false,
        };
        const iam: IamSnapshot = { source: 'test', roles: [grant] };
        const outcome = await deleteEachMapping({ label: roleArn, grant, iam, rows: own, window: ALL_TIME }, () => Promise.resolve(base));
        addOutcome(total, outcome);
      }
      console.log('fail-safe property, real datasets:', JSON.stringify({ roles: roles.length, ...total, failures: total.failures.length }));
      expect(total.failures).toEqual([]);
      expect(total.calls).toBeGreaterThanOrEqual(10);
    },
    300_000,
  );

  it.skipIf(!datasetsPresent)(
    "real CloudTrail datasets, unmodified mapping, broad grants: every unmapped call is named and keeps its service's actions",
    async () => {
      const records = filesUnder(DATASETS).flatMap(readRecords);
      const rows = groupRecords(records, { kind: 'all' }, ALL_TIME);
      const roles = [...new Set(rows.map((r) => r.roleArn))].sort();
      const figures = {
        roles: roles.length,
        calls: 0,
        patternCalls: 0,
        unmappedCalls: 0,
        unmappedEvents: 0,
        unresolvedCalls: 0,
        unresolvedEvents: 0,
        keptActions: 0,
      };
      const unnamed: string[] = [];
      for (const roleArn of roles) {
        const own = rows.filter((r) => r.roleArn === roleArn);
        figures.calls += new Set(own.map((r) => `${r.eventSource} ${r.eventName}`)).size;
        // The common broad grant: every action of each service the role called, on any resource.
        const services = [...new Set(own.map((r) => prefixOf(r.eventSource)))].filter((s) => catalog.hasService(s)).sort();
        const grant: RoleGrant = {
          arn: roleArn,
          name: roleArn.slice(roleArn.lastIndexOf('/') + 1),
          path: '/',
          accountId: roleArn.split(':')[4] ?? '',
          policies: [
            {
              kind: 'inline',
              name: 'broad',
              document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: services.map((s) => `${s}:*`), Resource: '*' }] },
            },
          ],
          serviceLinked: false,
        };
        if (services.length === 0) continue;
        const plan = await runMinimize(
          {
            catalog,
            mapCall: base,
            iam: { source: 'test', roles: [grant] },
            source: { description: 'test', scan: () => Promise.resolve({ window: ALL_TIME, rows: own, evidence: evidenceOf(own) }) },
          },
          {
            role: roleArn,
            window: ALL_TIME,
            allowEmpty: true,
            allowPartialWindow: true,
            proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
          },
        );
        const f = plan.verification.failSafe;
        figures.unmappedCalls += f.unmappedCalls;
        figures.unmappedEvents += f.unmappedEvents;
        figures.unresolvedCalls += f.unresolvedCalls;
        figures.unresolvedEvents += f.unresolvedEvents;
        figures.keptActions += f.actions;
        // Calls whose resource the mapper could only write as a pattern (kept only where a grant is narrower).
        figures.patternCalls += new Set(plan.used.flatMap((u) => (u.unresolved ?? []).flatMap((x) => x.calls))).size;
        for (const u of plan.unmapped) if (u.count > u.denied && u.kept.length === 0) unnamed.push(`${roleArn}: ${u.eventSource} ${u.eventName}`);
      }
      console.log('fail-safe on the real datasets (unmodified mapping, broad grants):', JSON.stringify(figures));
      expect(figures.calls).toBeGreaterThanOrEqual(15);
      expect(unnamed).toEqual([]);
    },
    300_000,
  );
});

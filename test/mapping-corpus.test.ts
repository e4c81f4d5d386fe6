/**
 * The mapping corpus (issue 18 item 5): one runner for every case under test/mapping-corpus/.
 * A case is one real-shaped CloudTrail record plus the (action, resource ARN) pairs AWS authorizes
 * for it, written from AWS's documentation (never from our tables). Per case the runner feeds the
 * record through the production path (`attributeRecord`/`groupRecords` -> `runMinimize`: mapper,
 * `reduceUsage`, diff, `proposePolicy`) under a snapshot holding the calling role, then checks with
 * iam-simulate (AGPL, test-only oracle) that the proposal allows every authorized pair and denies
 * every probe, and that our evaluator (`src/iam/evaluate.ts`) gives the same answer on every pair.
 * See test/mapping-corpus/README.md.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMinimize } from '../src/app/minimize.js';
import { parseTrailConfig } from '../src/diff/trail-selectors.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { evaluate } from '../src/iam/evaluate.js';
import { groupRecords, attributeRecord, type CloudTrailRecord } from '../src/ingest/reference.js';
import type { UsageSource } from '../src/ingest/source.js';
import { createMapper } from '../src/mapping/map-call.js';
import { mappingTables } from '../src/mapping/tables.js';
import type { IamSnapshot, MinimizePlan, PolicyDocument, UsageQuery, UsageScan } from '../src/model.js';

interface Pair {
  action: string;
  resource: string;
}

interface CorpusCase {
  name: string;
  doc: string;
  record: Record<string, unknown>;
  iam?: { RoleDetailList?: unknown[]; InstanceProfileList?: unknown[]; Policies?: unknown[]; UserDetailList?: unknown[] };
  granted?: PolicyDocument;
  context?: Record<string, string | string[]>;
  authorized: Pair[];
  probes?: Pair[];
  successful?: boolean;
  pending?: string;
}

interface CorpusFile {
  service: string;
  cases: CorpusCase[];
}

const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const CASE_KEYS = new Set(['name', 'doc', 'record', 'iam', 'granted', 'context', 'authorized', 'probes', 'successful', 'pending']);

const dir = join(import.meta.dirname, 'mapping-corpus');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, corpus: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CorpusFile }));

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The calling role as the record names it: ARN (with path), name, account. */
function caller(c: CorpusCase): { arn: string; name: string; path: string; account: string } {
  const issuer = record(record(record(c.record['userIdentity'])['sessionContext'])['sessionIssuer']);
  const arn = String(issuer['arn'] ?? '');
  const m = /^arn:[^:]+:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(arn);
  if (m === null) throw new Error(`${c.name}: userIdentity.sessionContext.sessionIssuer.arn is not a role ARN: ${arn}`);
  return { arn, name: m[3] ?? '', path: m[2] ?? '/', account: m[1] ?? '' };
}

/**
 * The authorization-details document the case describes: the calling role holding `granted` inline,
 * plus the case's `iam` entries. A top-level `InstanceProfileList` (corpus shorthand) is moved into
 * the `InstanceProfileList` of each role it holds, where `get-account-authorization-details` puts it.
 */
function snapshotOf(c: CorpusCase): IamSnapshot {
  const who = caller(c);
  const roles = (c.iam?.RoleDetailList ?? []).map((r) => ({ ...record(r) }));
  let self = roles.find((r) => r['Arn'] === who.arn);
  if (self === undefined) {
    self = { Path: who.path, RoleName: who.name, RoleId: 'AROACORPUSCALLER00000', Arn: who.arn };
    roles.push(self);
  }
  self['RolePolicyList'] = [...((self['RolePolicyList'] as unknown[] | undefined) ?? []), { PolicyName: 'granted', PolicyDocument: c.granted ?? ALLOW_ALL }];
  for (const profile of c.iam?.InstanceProfileList ?? []) {
    const held = ((record(profile)['Roles'] as unknown[] | undefined) ?? []).map((r) => record(r)['Arn']);
    for (const role of roles) {
      if (held.includes(role['Arn'])) role['InstanceProfileList'] = [...((role['InstanceProfileList'] as unknown[] | undefined) ?? []), profile];
    }
  }
  const doc = { ...c.iam, RoleDetailList: roles, Policies: c.iam?.Policies ?? [] };
  delete (doc as Record<string, unknown>)['InstanceProfileList'];
  return parseAuthorizationDetails(doc, `corpus case ${c.name}`);
}

/** An in-memory usage source over the case's one record: the reference attribution of reference.ts. */
function recordSource(c: CorpusCase): UsageSource {
  const rec = c.record as CloudTrailRecord;
  return {
    description: `corpus case ${c.name}`,
    scan: (query: UsageQuery): Promise<UsageScan> => {
      const time = attributeRecord(rec)?.eventTime ?? null;
      const category = typeof c.record['eventCategory'] === 'string' ? c.record['eventCategory'] : 'Management';
      return Promise.resolve({
        window: query.window,
        rows: groupRecords([rec], query.roles, query.window),
        evidence: {
          source: `corpus case ${c.name}`,
          files: 1,
          bytes: JSON.stringify(rec).length,
          skippedFiles: [],
          records: 1,
          invalidRecords: 0,
          events: 1,
          covered: { first: time, last: time },
          dataEventSources: category === 'Data' ? [String(c.record['eventSource'])] : [],
        },
      });
    },
  };
}

async function plan(catalog: IamCatalog, c: CorpusCase): Promise<MinimizePlan> {
  const iam = snapshotOf(c);
  const time = attributeRecord(c.record as CloudTrailRecord)?.eventTime;
  if (time === undefined) throw new Error(`${c.name}: the record is not attributable to a role (eventTime, eventSource, eventName, sessionIssuer)`);
  const end = new Date(Date.parse(time) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return runMinimize(
    { catalog, mapCall: createMapper(catalog, mappingTables(), { identity: iam }), source: recordSource(c), iam },
    {
      role: caller(c).arn,
      window: { start: time, end },
      allowEmpty: c.successful === false,
      allowPartialWindow: true,
      // The corpus checks the mapping, not what the trail logs: a trail logging every management
      // and data event, so a data-event permission granted on `*` is judged on the record alone
      // (without selectors it would be unobservable beyond the one resource the record shows).
      trailSelection: EVERYTHING_LOGGED,
      proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
    },
  );
}

const EVERYTHING_LOGGED = parseTrailConfig(
  {
    AdvancedEventSelectors: [
      { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          {
            Field: 'resources.type',
            Equals: ['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Kinesis::Stream'],
          },
        ],
      },
    ],
  },
  'mapping corpus: every event logged',
);

/**
 * iam-simulate's verdict on the identity policies alone. The resource is evaluated as if it lived
 * in the caller's account: cross-account access also needs the resource's own policy, which is not
 * what the corpus specifies.
 */
async function simulate(
  policies: readonly PolicyDocument[],
  principal: string,
  account: string,
  pair: Pair,
  context: Record<string, string | string[]>,
): Promise<string> {
  const simulation: Simulation = {
    request: { principal, action: pair.action, resource: { resource: pair.resource, accountId: account }, contextVariables: context },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  // A KMS key is usable only when its key policy lets IAM policies decide: the default key policy
  // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  if (/^arn:[^:]+:kms:[^:]*:\d{12}:key\//.test(pair.resource)) simulation.resourcePolicy = defaultKeyPolicy(account);
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors).slice(0, 300)}`;
  return result.overallResult;
}

function defaultKeyPolicy(account: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

function validate(file: string, corpus: CorpusFile): void {
  const names = new Set<string>();
  for (const c of corpus.cases) {
    const extra = Object.keys(c).filter((k) => !CASE_KEYS.has(k));
    if (extra.length > 0) throw new Error(`${file} case "${c.name}": unknown keys ${extra.join(', ')}`);
    if (names.has(c.name)) throw new Error(`${file}: two cases named "${c.name}"`);
    names.add(c.name);
    if (!/^https:\/\/(docs\.aws\.amazon\.com|aws\.amazon\.com)\//.test(c.doc ?? ''))
      throw new Error(`${file} case "${c.name}": doc must be an AWS documentation URL`);
    if (!Array.isArray(c.authorized)) throw new Error(`${file} case "${c.name}": authorized must be a list`);
    if (c.successful !== false && c.authorized.length === 0) throw new Error(`${file} case "${c.name}": a successful call authorizes at least one pair`);
  }
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

const total = files.reduce((n, f) => n + f.corpus.cases.length, 0);
const pending = files.flatMap((f) => f.corpus.cases.filter((c) => c.pending !== undefined).map((c) => `${f.corpus.service}: ${c.name}`));

describe('mapping corpus', () => {
  it(`has well-formed case files (${files.length} services, ${total} cases, ${pending.length} pending)`, () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { file, corpus } of files) {
      expect(`${corpus.service}.json`, `${file} is named after its service prefix`).toBe(file);
      validate(file, corpus);
    }
    if (pending.length > 0) console.log(`mapping corpus: ${pending.length} pending case(s):\n  ${pending.join('\n  ')}`);
  });
});

describe.each(files)('mapping corpus $file', ({ corpus }) => {
  for (const c of corpus.cases) {
    if (c.pending !== undefined) {
      it.todo(`${c.name} (pending: ${c.pending})`);
      continue;
    }
    it(c.name, async () => {
      const result = await plan(catalog, c);
      const who = caller(c);
      const context = c.context ?? {};
      const proposed = result.proposed;
      const callKey = `${String(c.record['eventSource'])} ${String(c.record['eventName'])}`;
      const call = result.calls.find((u) => `${u.eventSource} ${u.eventName}` === callKey);
      if (c.successful === false) {
        // A failed call is never use: it adds nothing to `used`, and the call shows no authorized count.
        expect(result.used, `${callKey} failed, yet counted as use`).toEqual([]);
        expect(call?.count ?? 0, `${callKey} failed, yet counted as an authorized call`).toBe(0);
      } else {
        expect(result.unmapped, `${callKey} is unmapped`).toEqual([]);
      }
      const failures: string[] = [];
      const check = async (pair: Pair, want: 'Allowed' | 'denied'): Promise<void> => {
        const oracle = await simulate(proposed, who.arn, who.account, pair, context);
        const ours = evaluate(proposed, pair, { denyConditions: 'assume-unmet' }).decision;
        if (oracle.startsWith('error')) failures.push(`${pair.action} ${pair.resource}: iam-simulate ${oracle}`);
        else if (want === 'Allowed' && oracle !== 'Allowed') failures.push(`${pair.action} ${pair.resource}: authorized by AWS, denied by the proposal`);
        else if (want === 'denied' && oracle === 'Allowed') failures.push(`${pair.action} ${pair.resource}: probe allowed by the proposal`);
        if ((oracle === 'Allowed') !== (ours === 'allowed')) failures.push(`${pair.action} ${pair.resource}: iam-simulate ${oracle}, our evaluator ${ours}`);
      };
      for (const pair of c.authorized) await check(pair, 'Allowed');
      for (const pair of c.probes ?? []) await check(pair, 'denied');
      expect(failures, `used: ${JSON.stringify(result.used)}\nproposal: ${JSON.stringify(proposed).slice(0, 1500)}`).toEqual([]);
    });
  }
});

/**
 * Role names, ARNs and file paths with quotes, backslashes, `%`, newlines and SQL fragments reach
 * DuckDB and Athena only as bound values (or, for file paths in DuckDB, as escaped literals): they
 * match exactly their own events and never change the query.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { buildAthenaUsageQuery } from '../src/ingest/athena/athena-query.js';
import { runUsageSql } from './helpers/sql-harness.js';
import type { RoleFilter } from '../src/model.js';
import { runCli } from './bad-input-helpers.js';

const WINDOW = { start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };
const ACCOUNT = '111122223333';
const HOSTILE = ["x' OR '1'='1", "app-api' --", "'); DROP TABLE r; --", 'back\\slash', 'per%cent_', 'new\nline', 'quote"double', "app-api'||'", '*'];

function record(roleName: string, eventName: string): Record<string, unknown> {
  return {
    userIdentity: {
      type: 'AssumedRole',
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, userName: roleName } },
    },
    eventTime: '2026-02-01T00:00:00Z',
    eventSource: 'sqs.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    requestParameters: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q` },
  };
}

let dir = '';
let logs = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-injection-'));
  // The folder and file names carry quotes too: paths are spliced into read_json() as literals.
  logs = join(dir, "it's logs");
  await mkdir(logs);
  const records = [record('app-api', 'SendMessage'), record('other', 'DeleteQueue'), ...HOSTILE.map((name, i) => record(name, `Call${i}`))];
  await writeFile(join(logs, "o'brien\\; DROP.json"), JSON.stringify({ Records: records }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scan(filter: RoleFilter): Promise<{ roles: string[]; names: string[] }> {
  // The usage query's SQL on DuckDB (what Athena runs): the path is a literal, the roles bound.
  const result = await runUsageSql([{ path: join(logs, "o'brien\\; DROP.json"), shape: 'wrapped' }], { roles: filter, window: WINDOW });
  expect(result.files.size).toBe(1);
  return { roles: [...new Set(result.rows.map((r) => r.roleArn))].sort(), names: result.rows.map((r) => r.eventName).sort() };
}

describe('DuckDB: hostile role names and ARNs are bound parameters', () => {
  it(`a role named x' OR '1'='1 that made no calls matches nothing`, async () => {
    const evil = "y' OR '1'='1";
    expect(await scan({ kind: 'roles', arns: [], names: [evil] })).toEqual({ roles: [], names: [] });
    expect(await scan({ kind: 'roles', arns: [`arn:aws:iam::${ACCOUNT}:role/${evil}`], names: [] })).toEqual({ roles: [], names: [] });
  });

  for (const [i, name] of HOSTILE.entries()) {
    it(`${JSON.stringify(name)} matches exactly its own events, by name and by ARN`, async () => {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      expect(await scan({ kind: 'roles', arns: [], names: [name] })).toEqual({ roles: [arn], names: [`Call${i}`] });
      expect(await scan({ kind: 'roles', arns: [arn], names: [] })).toEqual({ roles: [arn], names: [`Call${i}`] });
    });
  }

  it('all roles still sees every role (the file with a hostile path was read)', async () => {
    const all = await scan({ kind: 'all' });
    expect(all.roles).toHaveLength(HOSTILE.length + 2);
  });

  it(`through the CLI: usage --role "x' OR '1'='1" reports no events, exit 3, nothing else matched`, async () => {
    const r = await runCli(['usage', '--role', "z' OR '1'='1", '--end', '2026-03-01T00:00:00Z', '--logs', logs]);
    expect(r.exit).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("no events by role z' OR '1'='1");
  });
});

describe('Athena: no user text in the query string, values in ExecutionParameters', () => {
  const table = { database: 'security', table: 'cloudtrail_logs' };
  const spaceless = HOSTILE.filter((n) => !/\s/.test(n));

  it('role names and ARNs go to ExecutionParameters as quoted literals, never into the SQL', () => {
    const arns = spaceless.map((n) => `arn:aws:iam::${ACCOUNT}:role/${n}`);
    const baseline = buildAthenaUsageQuery(table, { roles: { kind: 'roles', arns: ['arn:aws:iam::111122223333:role/a'], names: ['a'] }, window: WINDOW });
    const q = buildAthenaUsageQuery(table, { roles: { kind: 'roles', arns, names: spaceless }, window: WINDOW });
    for (const n of spaceless) {
      if (n === '*') continue; // `*` occurs in SQL as COUNT(*)
      expect(q.sql).not.toContain(n);
    }
    expect(q.sql).not.toContain('2026-01-01');
    expect(q.sql).toBe(baseline.sql); // the text does not depend on the values at all
    const joined = q.parameters.join('\n');
    for (const n of spaceless) expect(joined).toContain(n.replace(/'/g, "''"));
    for (const p of q.parameters) expect(p).toMatch(/^'(?:[^']|'')*'$|^(true|false)$/);
    expect(q.sql.split('?').length - 1).toBe(q.parameters.length);
  });

  it('a role with whitespace (newline) is refused as a usage error, not passed through', () => {
    expect(() => buildAthenaUsageQuery(table, { roles: { kind: 'roles', arns: [], names: ['new\nline'] }, window: WINDOW })).toThrow(UsageError);
  });

  it('database and table names cannot carry SQL', () => {
    expect(() => buildAthenaUsageQuery({ database: 'db"; DROP', table: 't' }, { roles: { kind: 'all' }, window: WINDOW })).toThrow(UsageError);
  });
});

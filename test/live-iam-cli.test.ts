/**
 * Without --iam, `minimize` reads the role's grant from live IAM (per-role calls, mocked) and its
 * usage from Athena (stand-in): the whole AWS path a user runs, no files.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import { RESULT_COLUMNS } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type Cell } from './athena-stand-in.js';

const ROLE = 'arn:aws:iam::111122223333:role/app';
const POLICY = 'arn:aws:iam::111122223333:policy/app-broad';
const DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: '*' }] };

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());
// Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
afterAll(() => iam.restore());

function row(key: string): Cell[] {
  const v: Record<string, Cell> = {
    grouping_set: 'calls',
    c_role: ROLE,
    c_role_name: 'app',
    c_source: 's3.amazonaws.com',
    c_name: 'GetObject',
    c_region: 'eu-west-1',
    c_account: '111122223333',
    c_category: 'Data',
    p_bucketName: 'data-bucket',
    p_key: key,
    records: '3',
    valid_records: '3',
    first_seen: '2026-02-10T00:00:00Z',
    last_seen: '2026-02-11T00:00:00Z',
  };
  return RESULT_COLUMNS.map((c) => v[c] ?? null);
}
function coverage(): Cell[] {
  const v: Record<string, Cell> = {
    grouping_set: 'coverage',
    event_source: 's3.amazonaws.com',
    event_category: 'Data',
    in_window: 'true',
    records: '6',
    valid_records: '6',
    first_seen: '2026-02-10T00:00:00Z',
    last_seen: '2026-02-11T00:00:00Z',
  };
  return RESULT_COLUMNS.map((c) => v[c] ?? null);
}

describe('minimize --athena without --iam', () => {
  it('reads the grant from live IAM and proposes only what was used', async () => {
    iam.on(GetRoleCommand, { RoleName: 'app' }).resolves({ Role: { Path: '/', RoleName: 'app', RoleId: 'AROA', Arn: ROLE, CreateDate: new Date(0) } });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'app-broad', PolicyArn: POLICY }] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'app-broad', Arn: POLICY, DefaultVersionId: 'v3' } });
    iam.on(GetPolicyVersionCommand, { PolicyArn: POLICY, VersionId: 'v3' }).resolves({ PolicyVersion: { Document: encodeURIComponent(JSON.stringify(DOC)) } });
    const stand = await startAthenaStandIn({
      states: ['SUCCEEDED'],
      result: () => ({ columns: RESULT_COLUMNS, rows: [row('in/a.csv'), row('in/b.csv'), coverage()] }),
    });
    const restore = useStandInEnv(stand.url);
    const out = { stdout: '', stderr: '' };
    const io: CliIo = {
      out: (t) => void (out.stdout += t),
      err: (t) => void (out.stderr += t),
      interactive: false,
      now: () => new Date('2026-03-01T00:00:00Z'),
      env: process.env,
    };
    try {
      const code = await main(['node', 'iamtrim', 'minimize', '--role', 'app', '--days', '30', '--athena', '--format', 'json'], io);
      expect(out.stderr).not.toContain('iamtrim:');
      expect(code).toBe(0);
    } finally {
      restore();
      await stand.close();
    }
    const plan = JSON.parse(out.stdout) as { proposed: Array<{ Statement: Array<{ Action?: unknown }> }>; unused: string[]; granted: { actions: number } };
    // The grant came from the URL-encoded live document: its three actions.
    expect(plan.granted.actions).toBe(3);
    const actions = plan.proposed.flatMap((p) => p.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    // Only reads were seen, on one bucket, and no trail selectors were given: s3:GetObject is narrowed to
    // what was read and also kept on "*" (other buckets' reads are unobservable), the writes are kept
    // as unobservable (data events for reads say nothing about writes), never called unused.
    expect([...new Set(actions)].sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(plan.unused).toEqual([]);
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(1);
  }, 30_000);
});

/**
 * `iamtrim athena setup`: the trail is read with GetTrail (aws-sdk-client-mock), the DDL is
 * printed with --print-only or run through the production Athena client against the stand-in.
 */
import { CloudTrailClient, GetTrailCommand, TrailNotFoundException } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import { createTableDdl } from '../src/ingest/athena/setup-ddl.js';
import { startAthenaStandIn, useStandInEnv } from './athena-stand-in.js';

const cloudtrail = mockClient(CloudTrailClient);
afterEach(() => cloudtrail.reset());
// Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
afterAll(() => cloudtrail.restore());

function io(): CliIo & { stdout: string; stderr: string } {
  const self = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (self.stdout += t),
    err: (t: string) => void (self.stderr += t),
    interactive: false,
    now: () => new Date('2026-03-01T00:00:00Z'),
    env: process.env,
  };
  return self;
}

const SINGLE = {
  Name: 'main',
  S3BucketName: 'acme-trail-logs',
  S3KeyPrefix: 'ct',
  IsMultiRegionTrail: true,
  HomeRegion: 'eu-west-1',
  IsOrganizationTrail: false,
  TrailARN: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main',
};

describe('athena setup', () => {
  it('prints partition-projection DDL for a single-account multi-Region trail', async () => {
    cloudtrail.on(GetTrailCommand, { Name: 'main' }).resolves({ Trail: SINGLE });
    const out = io();
    expect(
      await main(
        [
          'node',
          'iamtrim',
          'athena',
          'setup',
          '--trail',
          'main',
          '--database',
          'security',
          '--table',
          'cloudtrail_main',
          '--print-only',
          '--region',
          'eu-west-1',
        ],
        out,
      ),
    ).toBe(0);
    const ddl = out.stdout;
    expect(ddl).toContain('CREATE DATABASE IF NOT EXISTS `security`');
    expect(ddl).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`cloudtrail_main`');
    expect(ddl).toContain("LOCATION 's3://acme-trail-logs/ct/AWSLogs/111122223333/CloudTrail/'");
    expect(ddl).toContain("'projection.account.type'='enum'");
    expect(ddl).toContain("'projection.account.values'='111122223333'");
    expect(ddl).toContain("'storage.location.template'='s3://acme-trail-logs/ct/AWSLogs/${account}/CloudTrail/${region}/${day}'");
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'");
    expect(ddl).toContain("INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'");
    expect(ddl).toMatch(/'projection\.region\.values'='[^']*\bap-southeast-7\b[^']*\bus-east-1\b/);
    expect(ddl).toContain('PARTITIONED BY (account STRING, region STRING, day STRING)');
    expect(ddl).toContain('requestparameters STRING');
  });

  it('prints DDL for an organization trail with an injected account projection, and needs the organization ID', async () => {
    cloudtrail.on(GetTrailCommand).resolves({ Trail: { ...SINGLE, S3KeyPrefix: undefined, IsMultiRegionTrail: false, IsOrganizationTrail: true } });
    const missing = io();
    expect(await main(['node', 'iamtrim', 'athena', 'setup', '--trail', SINGLE.TrailARN, '--print-only'], missing)).toBe(2);
    expect(missing.stderr).toContain('--organization-id');
    const out = io();
    expect(await main(['node', 'iamtrim', 'athena', 'setup', '--trail', SINGLE.TrailARN, '--organization-id', 'o-a1b2c3d4e5', '--print-only'], out)).toBe(0);
    expect(out.stdout).toContain("LOCATION 's3://acme-trail-logs/AWSLogs/o-a1b2c3d4e5/'");
    expect(out.stdout).toContain("'projection.account.type'='injected'");
    expect(out.stdout).not.toContain('projection.account.values');
    expect(out.stdout).toContain("'storage.location.template'='s3://acme-trail-logs/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}'");
    // A single-Region trail projects its home Region plus us-east-1 (global services).
    expect(out.stdout).toContain("'projection.region.values'='eu-west-1,us-east-1'");
  });

  it('names a missing trail as a usage error (exit 2)', async () => {
    cloudtrail.on(GetTrailCommand).rejects(new TrailNotFoundException({ message: 'Unknown trail: nope', $metadata: {} }));
    const out = io();
    expect(await main(['node', 'iamtrim', 'athena', 'setup', '--trail', 'nope', '--print-only'], out)).toBe(2);
    expect(out.stderr).toContain('--trail nope: no such trail');
  });

  it('runs both statements in Athena when not --print-only', async () => {
    cloudtrail.on(GetTrailCommand).resolves({ Trail: SINGLE });
    const stand = await startAthenaStandIn({ states: ['SUCCEEDED'] });
    const restore = useStandInEnv(stand.url);
    try {
      const out = io();
      expect(await main(['node', 'iamtrim', 'athena', 'setup', '--trail', 'main', '--workgroup', 'iamtrim', '--output', 's3://results/x/'], out)).toBe(0);
      expect(stand.starts.map((s) => s.QueryString.split('\n')[0])).toEqual([
        'CREATE DATABASE IF NOT EXISTS `default`',
        'CREATE EXTERNAL TABLE IF NOT EXISTS `default`.`cloudtrail_logs` (',
      ]);
      expect(stand.starts.every((s) => s.WorkGroup === 'iamtrim')).toBe(true);
      expect(out.stderr).toContain('created default.cloudtrail_logs for account 111122223333');
    } finally {
      restore();
      await stand.close();
    }
  });

  it('refuses layout values that would break out of the DDL string literals', () => {
    const names = { database: 'd', table: 't' };
    const layout = { bucket: 'b-ok', prefix: "x'; DROP", accountId: '111122223333', regions: ['us-east-1'] };
    expect(() => createTableDdl(names, layout)).toThrow(/unsupported characters/);
    expect(() => createTableDdl({ database: 'd', table: 't`x' }, { ...layout, prefix: '' })).toThrow(/plain Athena name/);
  });
});

/**
 * `--assume-role`: the credentials chain first calls STS AssumeRole (a local STS stand-in reached
 * through AWS_ENDPOINT_URL_STS), and Athena is then called with the assumed role's credentials.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../src/aws/client-config.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { athenaSource } from '../src/ingest/athena/athena-source.js';
import { RESULT_COLUMNS } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv } from './athena-stand-in.js';

const TARGET = 'arn:aws:iam::222233334444:role/iamtrim-reader';

describe('--assume-role', () => {
  it('assumes the role with STS and signs Athena calls with its credentials', async () => {
    const stsBodies: string[] = [];
    const sts = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        stsBodies.push(body);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::222233334444:assumed-role/iamtrim-reader/iamtrim</Arn><AssumedRoleId>AROA:iamtrim</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
    const stand = await startAthenaStandIn({ states: ['SUCCEEDED'], result: () => ({ columns: RESULT_COLUMNS, rows: [] }) });
    const restore = useStandInEnv(stand.url);
    process.env['AWS_ENDPOINT_URL_STS'] = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
    try {
      const source = athenaSource({
        database: 'ct',
        table: 'logs',
        aws: awsClientConfig({ region: 'eu-west-1', assumeRole: TARGET }),
        sleep: async () => undefined,
        now: () => 0,
      });
      await source.scan({ roles: { kind: 'all' }, window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' } });
    } finally {
      restore();
      await stand.close();
      await new Promise<void>((resolve) => sts.close(() => resolve()));
    }
    expect(stsBodies).toHaveLength(1);
    const params = new URLSearchParams(stsBodies[0]);
    expect(params.get('Action')).toBe('AssumeRole');
    expect(params.get('RoleArn')).toBe(TARGET);
    expect(params.get('RoleSessionName')).toBe('iamtrim');
    expect(stand.calls.length).toBeGreaterThan(0);
    for (const call of stand.calls) {
      expect(call.authorization).toContain('Credential=ASIAASSUMED/');
      expect(call.securityToken).toBe('assumed-token');
    }
  }, 30_000);

  it('rejects a malformed role ARN or Region as a usage error', () => {
    for (const options of [{ assumeRole: 'arn:aws:iam::1:role/x' }, { region: 'eu west 1' }]) {
      let error: unknown;
      try {
        awsClientConfig(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
    }
  });
});

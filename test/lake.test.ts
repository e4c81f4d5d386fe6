/**
 * CloudTrail Lake: StartQuery + GetQueryResults polling through the production client with
 * aws-sdk-client-mock; FINISHED pages grouped like groupRecords; FAILED / TIMED_OUT end the run;
 * only pattern-checked values reach the statement (Lake has no parameter binding).
 */
import { CloudTrailClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../src/aws/client-config.js';
import { UpstreamError, UsageError } from '../src/errors.js';
import { buildLakeStatement, lakeSource } from '../src/ingest/cloudtrail-api/lake-source.js';
import { groupRecords, type CloudTrailRecord } from '../src/ingest/reference.js';
import type { UsageQuery } from '../src/model.js';

const ROLE = 'arn:aws:iam::111122223333:role/app';
const QUERY: UsageQuery = { roles: { kind: 'roles', arns: [ROLE], names: [] }, window: { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' } };
const EDS = 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';

const ct = mockClient(CloudTrailClient);
afterEach(() => ct.reset());
// Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
afterAll(() => ct.restore());

const clock = { now: () => 0, sleep: async () => undefined };

function record(i: number): CloudTrailRecord {
  return {
    eventTime: `2026-02-1${i % 10}T00:00:00Z`,
    eventType: 'AwsApiCall',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    eventCategory: 'Data',
    awsRegion: 'eu-west-1',
    requestParameters: { bucketName: 'b', key: `k${i % 3}` },
    userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'app' } } },
  };
}

describe('CloudTrail Lake source', () => {
  it('polls until FINISHED, pages, and groups the events', async () => {
    const records = Array.from({ length: 30 }, (_, i) => record(i));
    const rows = records.map((r) => [{ eventJson: JSON.stringify(r) }]);
    ct.on(StartQueryCommand).resolves({ QueryId: 'q1' });
    ct.on(GetQueryResultsCommand)
      .resolvesOnce({ QueryStatus: 'QUEUED' })
      .resolvesOnce({ QueryStatus: 'RUNNING' })
      .resolvesOnce({ QueryStatus: 'FINISHED', QueryResultRows: rows.slice(0, 20), NextToken: 't2', QueryStatistics: { BytesScanned: 2048 } })
      .resolvesOnce({ QueryStatus: 'FINISHED', QueryResultRows: rows.slice(20), QueryStatistics: { BytesScanned: 2048 } });
    const scan = await lakeSource({ eventDataStore: EDS, aws: awsClientConfig({}), clock }).scan(QUERY);
    expect(scan.rows).toEqual(groupRecords(records, QUERY.roles, QUERY.window));
    expect(scan.evidence.events).toBe(30);
    expect(scan.evidence.dataEventSources).toEqual(['s3.amazonaws.com']);
    const statement = ct.commandCalls(StartQueryCommand)[0]?.args[0].input.QueryStatement ?? '';
    expect(statement).toContain("FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE WHERE eventTime >= '2026-02-01 00:00:00'");
    expect(statement).toContain(`sessionIssuer.arn IN ('${ROLE}')`);
    expect(ct.commandCalls(GetQueryResultsCommand)[3]?.args[0].input.NextToken).toBe('t2');
  });

  it.each(['FAILED', 'TIMED_OUT', 'CANCELLED'] as const)('ends a %s query with an UpstreamError', async (status) => {
    ct.on(StartQueryCommand).resolves({ QueryId: 'q1' });
    ct.on(GetQueryResultsCommand).resolves({ QueryStatus: status, ErrorMessage: 'boom' });
    const error = await lakeSource({ eventDataStore: EDS, aws: awsClientConfig({}), clock })
      .scan(QUERY)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toContain(`${status}: boom`);
  });

  it('refuses values that could change the statement', () => {
    expect(() => buildLakeStatement(EDS, { ...QUERY, roles: { kind: 'roles', arns: ["arn:aws:iam::111122223333:role/x' OR '1'='1"], names: [] } })).toThrow(
      UsageError,
    );
    expect(() => buildLakeStatement('eds; DROP', QUERY)).toThrow(UsageError);
  });
});

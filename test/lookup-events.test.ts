/**
 * LookupEvents: pages of 50 events parsed from their CloudTrailEvent JSON and filtered by role on
 * our side; at most 2 requests per second per Region (checked on an injected clock, no waiting);
 * management events only, said out loud; the 90-day limit refused rather than read as "unused".
 */
import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../src/aws/client-config.js';
import { ExitCode, UpstreamError, UsageError } from '../src/errors.js';
import { LOOKUP_DATA_EVENTS_NOTE, lookupEventsSource } from '../src/ingest/cloudtrail-api/lookup-source.js';
import { createRateLimiter } from '../src/ingest/cloudtrail-api/rate-limit.js';
import { groupRecords, type CloudTrailRecord } from '../src/ingest/reference.js';
import type { UsageQuery } from '../src/model.js';

const ROLE = 'arn:aws:iam::111122223333:role/service/app';
const OTHER = 'arn:aws:iam::111122223333:role/other';
const QUERY: UsageQuery = { roles: { kind: 'roles', arns: [ROLE], names: [] }, window: { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' } };
const NOW = Date.parse('2026-03-01T00:00:00Z');

const ct = mockClient(CloudTrailClient);
afterEach(() => ct.reset());
// Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
afterAll(() => ct.restore());

function record(i: number, role: string): CloudTrailRecord {
  return {
    eventTime: new Date(Date.parse('2026-02-10T00:00:00Z') + i * 60_000).toISOString().replace('.000Z', 'Z'),
    eventType: 'AwsApiCall',
    eventSource: i % 3 === 0 ? 'sqs.amazonaws.com' : 'ssm.amazonaws.com',
    eventName: i % 3 === 0 ? 'CreateQueue' : 'GetParameter',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    requestParameters: i % 3 === 0 ? { queueName: `q${i % 2}` } : { name: `/app/p${i % 4}` },
    userIdentity: {
      type: 'AssumedRole',
      accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', arn: role, userName: role.slice(role.lastIndexOf('/') + 1) } },
    },
  };
}

function pages(records: CloudTrailRecord[]): Event[][] {
  const out: Event[][] = [];
  for (let i = 0; i < records.length; i += 50) {
    out.push(records.slice(i, i + 50).map((r, j) => ({ EventId: `e${i + j}`, Username: 'session-name', CloudTrailEvent: JSON.stringify(r) })));
  }
  return out;
}

function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sent: number[] } {
  let t = NOW;
  return { now: () => t, sleep: async (ms) => void (t += ms), sent: [] };
}

describe('LookupEvents source', () => {
  it('filters by role on our side and groups like groupRecords, at most 2 requests/s per Region', async () => {
    const records = Array.from({ length: 230 }, (_, i) => record(i, i % 4 === 0 ? OTHER : ROLE));
    const all = pages(records);
    const clock = fakeClock();
    ct.on(LookupEventsCommand).callsFake((input: { NextToken?: string }) => {
      clock.sent.push(clock.now());
      const index = input.NextToken === undefined ? 0 : Number(input.NextToken);
      return { Events: all[index], ...(index + 1 < all.length ? { NextToken: String(index + 1) } : {}) };
    });
    const source = lookupEventsSource({ regions: ['eu-west-1'], aws: awsClientConfig({}), clock });
    const scan = await source.scan(QUERY);
    expect(scan.rows).toEqual(groupRecords(records, QUERY.roles, QUERY.window));
    expect(scan.evidence.events).toBe(records.filter((r) => JSON.stringify(r).includes(ROLE)).length);
    expect(scan.evidence.records).toBe(230);
    expect(scan.evidence.dataEventSources).toEqual([]);
    expect(scan.evidence.source).toContain('management events only');
    expect(LOOKUP_DATA_EVENTS_NOTE).toContain('data events');
    // 5 pages, 50 per page, sent at least 500 ms apart on the injected clock.
    const calls = ct.commandCalls(LookupEventsCommand);
    expect(calls).toHaveLength(5);
    expect(calls.every((c) => c.args[0].input.MaxResults === 50)).toBe(true);
    for (let i = 1; i < clock.sent.length; i++) expect((clock.sent[i] ?? 0) - (clock.sent[i - 1] ?? 0)).toBeGreaterThanOrEqual(500);
    // In any 1-second span, at most 2 requests.
    for (const t of clock.sent) expect(clock.sent.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(2);
  });

  it('the rate limiter spaces calls without waiting when they are already slow', async () => {
    const clock = fakeClock();
    const slept: number[] = [];
    const limiter = createRateLimiter(2, {
      now: clock.now,
      sleep: async (ms) => {
        slept.push(ms);
        await clock.sleep(ms);
      },
    });
    await limiter();
    await limiter();
    await clock.sleep(2000);
    await limiter();
    expect(slept).toEqual([500]);
  });

  it('refuses a window older than 90 days instead of reading missing days as unused', async () => {
    const source = lookupEventsSource({ regions: ['eu-west-1'], aws: awsClientConfig({}), clock: fakeClock() });
    const error = await source.scan({ ...QUERY, window: { start: '2025-10-01T00:00:00Z', end: QUERY.window.end } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(ct.commandCalls(LookupEventsCommand)).toHaveLength(0);
  });

  it('ends with an UpstreamError (exit 4) when a page fails', async () => {
    const all = pages(Array.from({ length: 120 }, (_, i) => record(i, ROLE)));
    ct.on(LookupEventsCommand)
      .resolvesOnce({ Events: all[0], NextToken: '1' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const source = lookupEventsSource({ regions: ['eu-west-1'], aws: awsClientConfig({}), clock: fakeClock() });
    const error = await source.scan(QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).exitCode).toBe(ExitCode.Upstream);
    expect((error as UpstreamError).hint).toContain('throttling');
  });
});

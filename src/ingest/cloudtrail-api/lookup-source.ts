/**
 * CloudTrail event history (LookupEvents) as a usage source, for accounts without a trail in
 * S3. It returns management events only, for the last 90 days, one Region per call, 50 events a
 * page, at 2 requests/second. `Username` holds the session name, not the role, so events are
 * filtered on our side: each `CloudTrailEvent` JSON string is parsed and grouped with
 * `collectRecordTexts` (reference.ts). Data events never appear here; the source says so, and reports no data-event
 * coverage, so data-plane permissions stay "unobservable", never "unused".
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { AwsClientConfig } from '../../aws/client-config.js';
import { callAws } from '../../aws/errors.js';
import { UsageError } from '../../errors.js';
import { compareText } from '../../util/compare-text.js';
import type { UsageQuery, UsageScan } from '../../model.js';
import { collectRecordTexts } from '../reference.js';
import type { UsageSource } from '../source.js';
import { createRateLimiter, type Clock } from './rate-limit.js';

/** Event history keeps 90 days. */
export const LOOKUP_RETENTION_DAYS = 90;
/** LookupEvents: requests per second, per account and Region. */
export const LOOKUP_REQUESTS_PER_SECOND = 2;
export const LOOKUP_PAGE_SIZE = 50;

/** The note every LookupEvents result carries. */
export const LOOKUP_DATA_EVENTS_NOTE =
  'LookupEvents returns management events only: data events (S3 objects, Lambda Invoke, DynamoDB items, SQS, SNS Publish…) are invisible, so their permissions are reported unobservable, never unused';

export interface LookupSourceOptions {
  /** Regions to read; global services (IAM, STS, CloudFront) log to us-east-1. */
  regions: readonly string[];
  aws: AwsClientConfig;
  clock: Clock;
  /** For tests: a client per Region (default: the production client). */
  client?: (region: string) => CloudTrailClient;
  onPage?: (region: string, events: number) => void;
}

export function lookupEventsSource(options: LookupSourceOptions): UsageSource {
  const description = `cloudtrail lookup-events ${[...options.regions].join(',')} (management events only)`;
  return {
    description,
    async scan(query: UsageQuery): Promise<UsageScan> {
      const oldest = options.clock.now() - LOOKUP_RETENTION_DAYS * 86_400_000;
      if (Date.parse(query.window.start) < oldest) {
        throw new UsageError(`--lookup-events reads only the last ${LOOKUP_RETENTION_DAYS} days; the window starts ${query.window.start}`, {
          hint: `use --days ${LOOKUP_RETENTION_DAYS} or less, or --athena / --logs for longer windows (missing days are not "unused")`,
        });
      }
      const collected = collectRecordTexts(query);
      for (const region of [...new Set(options.regions)].sort(compareText)) {
        const client = options.client?.(region) ?? new CloudTrailClient({ ...options.aws, region });
        // One limiter per Region: the quota is per account and Region.
        const wait = createRateLimiter(LOOKUP_REQUESTS_PER_SECOND, options.clock);
        let token: string | undefined;
        try {
          do {
            await wait();
            const page = await callAws(`cloudtrail:LookupEvents (${region})`, () =>
              client.send(
                new LookupEventsCommand({
                  StartTime: new Date(query.window.start),
                  EndTime: new Date(query.window.end),
                  MaxResults: LOOKUP_PAGE_SIZE,
                  ...(token !== undefined ? { NextToken: token } : {}),
                }),
              ),
            );
            collected.addPage((page.Events ?? []).map((event) => event.CloudTrailEvent));
            options.onPage?.(region, page.Events?.length ?? 0);
            token = page.NextToken;
          } while (token !== undefined && token !== '');
        } finally {
          if (options.client === undefined) client.destroy();
        }
      }
      // Event history has no data events at all: no service's data plane is observed.
      return collected.result(description, 0, 'none');
    },
  };
}

/**
 * CloudTrail event history (LookupEvents) as a usage source, for accounts without a trail in
 * S3: management events only, for the last 90 days, one Region per call, 50 events a page, at 2
 * requests/second. `Username` holds the session name, not the role, so each `CloudTrailEvent` JSON
 * string is grouped on our side with `collectRecordTexts` (reference.ts). Data events never appear
 * here, so the source reports no data-event coverage: data-plane permissions stay "unobservable".
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
const RETENTION_DAYS = 90;

/** The note every LookupEvents result carries. */
export const LOOKUP_DATA_EVENTS_NOTE =
  'LookupEvents returns management events only: data events (S3 objects, Lambda Invoke, DynamoDB items, SQS, SNS Publish…) are invisible, so their permissions are reported unobservable, never unused';

export interface LookupSourceOptions {
  /** Regions to read; global services (IAM, STS, CloudFront) log to us-east-1. */
  regions: readonly string[];
  aws: AwsClientConfig;
  clock: Clock;
}

export function lookupEventsSource(options: LookupSourceOptions): UsageSource {
  const description = `cloudtrail lookup-events ${[...options.regions].join(',')} (management events only)`;
  return {
    description,
    async scan(query: UsageQuery): Promise<UsageScan> {
      if (Date.parse(query.window.start) < options.clock.now() - RETENTION_DAYS * 86_400_000) {
        throw new UsageError(`--lookup-events reads only the last ${RETENTION_DAYS} days; the window starts ${query.window.start}`, {
          hint: `use --days ${RETENTION_DAYS} or less, or --athena / --logs for longer windows (missing days are not "unused")`,
        });
      }
      const collected = collectRecordTexts(query);
      for (const region of [...new Set(options.regions)].sort(compareText)) {
        const client = new CloudTrailClient({ ...options.aws, region });
        const wait = createRateLimiter(2, options.clock); // requests per second, per account and Region
        let token: string | undefined;
        try {
          do {
            await wait();
            const page = await callAws(`cloudtrail:LookupEvents (${region})`, () =>
              client.send(
                new LookupEventsCommand({
                  StartTime: new Date(query.window.start),
                  EndTime: new Date(query.window.end),
                  MaxResults: 50,
                  ...(token !== undefined ? { NextToken: token } : {}),
                }),
              ),
            );
            collected.addPage((page.Events ?? []).map((event) => event.CloudTrailEvent));
            token = page.NextToken;
          } while (token !== undefined && token !== '');
        } finally {
          client.destroy();
        }
      }
      // Event history has no data events at all: no service's data plane is observed.
      return collected.result(description, 0, 'none');
    },
  };
}

/**
 * CloudTrail Lake as a usage source (optional: Lake takes no new customers since 2026-05-31).
 * StartQuery has no parameter binding for ad-hoc SQL, so every value placed in the statement is
 * first checked against a strict pattern (role ARNs, times we format, the event data store ID);
 * nothing else can reach the SQL. The statement returns each matching event's JSON, grouped with
 * `collectRecordTexts` (reference.ts). A status other than FINISHED ends the run.
 */
import { CloudTrailClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import type { AwsClientConfig } from '../../aws/client-config.js';
import { callAws } from '../../aws/errors.js';
import { UpstreamError, UsageError } from '../../errors.js';
import type { UsageQuery, UsageScan } from '../../model.js';
import { countedEventTypeSql } from '../query.js';
import { collectRecordTexts } from '../reference.js';
import type { UsageSource } from '../source.js';
import type { Clock } from './rate-limit.js';

export interface LakeSourceOptions {
  /** Event data store ID or ARN. */
  eventDataStore: string;
  aws: AwsClientConfig;
  clock: Clock;
}

const EDS = /^(arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/)?[A-Za-z0-9-]{3,128}$/;
const SAFE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const SAFE_NAME = /^[\w+=,.@-]{1,64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Lake's timestamp literal form. */
function lakeTime(iso: string): string {
  if (!ISO.test(iso)) throw new UsageError(`window time ${iso}: expected YYYY-MM-DDTHH:MM:SSZ`);
  return iso.replace('T', ' ').replace('Z', '');
}

/** The Lake statement for a usage query; exported so tests can check what reaches the SQL. */
export function buildLakeStatement(eventDataStore: string, query: UsageQuery): string {
  if (!EDS.test(eventDataStore)) {
    throw new UsageError(`--lake ${eventDataStore}: not an event data store ID or ARN`, { hint: 'list them with `aws cloudtrail list-event-data-stores`' });
  }
  const id = eventDataStore.slice(eventDataStore.lastIndexOf('/') + 1);
  const where = [
    `eventTime >= '${lakeTime(query.window.start)}'`,
    `eventTime < '${lakeTime(query.window.end)}'`,
    countedEventTypeSql('eventType'),
    `userIdentity.sessionContext.sessionIssuer.type = 'Role'`,
  ];
  if (query.roles.kind === 'roles') {
    for (const arn of query.roles.arns) if (!SAFE_ARN.test(arn)) throw new UsageError(`role ${arn}: not an IAM role ARN`);
    for (const name of query.roles.names) if (!SAFE_NAME.test(name)) throw new UsageError(`role ${name}: not an IAM role name`);
    const quoted = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');
    const parts = [
      ...(query.roles.arns.length > 0 ? [`userIdentity.sessionContext.sessionIssuer.arn IN (${quoted(query.roles.arns)})`] : []),
      ...(query.roles.names.length > 0 ? [`userIdentity.sessionContext.sessionIssuer.userName IN (${quoted(query.roles.names)})`] : []),
    ];
    where.push(parts.length > 0 ? `(${parts.join(' OR ')})` : 'false');
  }
  return `SELECT eventJson FROM ${id} WHERE ${where.join(' AND ')}`;
}

export function lakeSource(options: LakeSourceOptions): UsageSource {
  const description = `cloudtrail lake ${options.eventDataStore}`;
  return {
    description,
    async scan(query: UsageQuery): Promise<UsageScan> {
      const statement = buildLakeStatement(options.eventDataStore, query);
      const client = new CloudTrailClient(options.aws);
      const collected = collectRecordTexts(query);
      let bytesScanned = 0;
      try {
        const started = await callAws('cloudtrail:StartQuery', () => client.send(new StartQueryCommand({ QueryStatement: statement })));
        const queryId = started.QueryId;
        if (queryId === undefined) throw new UpstreamError('cloudtrail:StartQuery returned no QueryId');
        let wait = 1000; // doubling up to 5 s while the query runs
        let token: string | undefined;
        for (;;) {
          const page = await callAws('cloudtrail:GetQueryResults', () =>
            client.send(new GetQueryResultsCommand({ QueryId: queryId, MaxQueryResults: 1000, ...(token !== undefined ? { NextToken: token } : {}) })),
          );
          const status = page.QueryStatus ?? 'UNKNOWN';
          if (status === 'QUEUED' || status === 'RUNNING') {
            await options.clock.sleep(wait);
            wait = Math.min(5000, wait * 2);
            continue;
          }
          if (status !== 'FINISHED') {
            throw new UpstreamError(`cloudtrail lake query ${queryId} ${status}: ${page.ErrorMessage ?? 'no reason given'}`, {
              hint: 'no policy is proposed from an unfinished query; run again, or shorten --days',
            });
          }
          bytesScanned = Math.max(bytesScanned, page.QueryStatistics?.BytesScanned ?? 0);
          collected.addPage((page.QueryResultRows ?? []).map((row) => row.flatMap((cell) => Object.values(cell))[0]));
          token = page.NextToken;
          if (token === undefined || token === '') break;
        }
      } finally {
        client.destroy();
      }
      // The statement selects the role's events only, so it cannot tell which services log data events.
      return collected.result(description, bytesScanned, 'rows');
    },
  };
}

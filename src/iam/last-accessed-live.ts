/**
 * IAM last-accessed reports read live (last-accessed.ts describes the evidence): one
 * GenerateServiceLastAccessedDetails job per role with ACTION_LEVEL granularity, polled with
 * GetServiceLastAccessedDetails, a few jobs at a time.
 */
import { GenerateServiceLastAccessedDetailsCommand, GetServiceLastAccessedDetailsCommand, type IAMClient } from '@aws-sdk/client-iam';
import { callAws } from '../aws/errors.js';
import { UpstreamError } from '../errors.js';
import { parseLastAccessedDetails, type Json, type LastAccessedReport } from './last-accessed.js';

export interface LiveLastAccessedOptions {
  /** Jobs in flight at once (default 4): IAM throttles GenerateServiceLastAccessedDetails. */
  concurrency?: number;
  /** Poll delay in ms for a job still IN_PROGRESS, doubled up to 8x (default 1,000). */
  pollMs?: number;
  /** Give up on a job after this many polls (default 60). */
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LiveLastAccessedResult {
  reports: Map<string, LastAccessedReport>;
  /** Roles with no report, and why (deleted meanwhile, job failed): never read as unused. */
  missing: { roleName: string; reason: string }[];
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function oneRole(client: IAMClient, roleArn: string, roleName: string, o: Required<LiveLastAccessedOptions>): Promise<LastAccessedReport> {
  const job = await callAws('iam:GenerateServiceLastAccessedDetails', () =>
    client.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: roleArn, Granularity: 'ACTION_LEVEL' })),
  );
  if (job.JobId === undefined) throw new UpstreamError(`iam:GenerateServiceLastAccessedDetails ${roleName}: no JobId`);
  let delay = o.pollMs;
  for (let poll = 0; poll < o.maxPolls; poll++) {
    const services: unknown[] = [];
    let marker: string | undefined;
    let first: Json | undefined;
    do {
      const page = (await callAws('iam:GetServiceLastAccessedDetails', () =>
        client.send(new GetServiceLastAccessedDetailsCommand({ JobId: job.JobId, ...(marker !== undefined ? { Marker: marker } : {}) })),
      )) as unknown as Json;
      first ??= page;
      if (page['JobStatus'] !== 'COMPLETED') break;
      services.push(...((page['ServicesLastAccessed'] as unknown[] | undefined) ?? []));
      marker = page['IsTruncated'] === true ? (page['Marker'] as string | undefined) : undefined;
    } while (marker !== undefined);
    const status = first?.['JobStatus'];
    if (status === 'COMPLETED') {
      return parseLastAccessedDetails({ ...first, ServicesLastAccessed: services }, roleName, 'live IAM');
    }
    if (status === 'FAILED') {
      const error = first?.['Error'] as Json | undefined;
      throw new UpstreamError(`IAM last-accessed job for ${roleName} failed: ${String(error?.['Message'] ?? 'no reason given')}`);
    }
    await o.sleep(delay);
    delay = Math.min(delay * 2, o.pollMs * 8);
  }
  throw new UpstreamError(`IAM last-accessed job for ${roleName} did not complete after ${o.maxPolls} polls`);
}

/** One report per role, `concurrency` jobs at a time. A role deleted meanwhile is listed as missing. */
export async function readLiveLastAccessed(
  client: IAMClient,
  roles: readonly { arn: string; name: string }[],
  options: LiveLastAccessedOptions = {},
): Promise<LiveLastAccessedResult> {
  const o: Required<LiveLastAccessedOptions> = {
    concurrency: options.concurrency ?? 4,
    pollMs: options.pollMs ?? 1_000,
    maxPolls: options.maxPolls ?? 60,
    sleep: options.sleep ?? defaultSleep,
  };
  const reports = new Map<string, LastAccessedReport>();
  const missing: LiveLastAccessedResult['missing'] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < roles.length) {
      const role = roles[next++]!;
      try {
        reports.set(role.name.toLowerCase(), await oneRole(client, role.arn, role.name, o));
      } catch (error) {
        if (error instanceof UpstreamError && /NoSuchEntity/.test(error.message)) {
          missing.push({ roleName: role.name, reason: 'the role no longer exists (NoSuchEntity)' });
        } else throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, roles.length)) }, worker));
  missing.sort((a, b) => (a.roleName < b.roleName ? -1 : a.roleName > b.roleName ? 1 : 0));
  return { reports, missing };
}

/**
 * Builds the usage source and the IAM snapshot a command's flags ask for. Each reader (live AWS,
 * an IAM or Lambda file, DuckDB) is imported when a flag asks for it, so a `--logs` scan starts its
 * workers before the rest loads.
 */
import { InputError, UpstreamError, UsageError } from '../errors.js';
import type { LastAccessedReport } from '../iam/last-accessed.js';
import { walkerDescription } from '../ingest/local/stream/record-index.js';
import { streamLogsSource, type ScanProgress } from '../ingest/local/stream/stream-source.js';
import type { UsageSource } from '../ingest/source.js';
import type { IamSnapshot } from '../model.js';
import type { TrailSelection } from '../diff/trail-selectors.js';
import type { RoleTarget, RoleTargetOptions } from './role-target.js';
import { bytes, count } from '../render/format.js';
import type { RunIo } from './io.js';
import { readFile } from 'node:fs/promises';
import { errorCode } from '../util/error-code.js';
import type { AwsFlagOptions, SourceOptions } from './options.js';

/** Draws scan progress in place on a terminal; stays silent when stderr is a file or pipe. */
export function progressPrinter(io: RunIo): ((p: ScanProgress) => void) | undefined {
  if (!io.interactive) return undefined;
  return (p) => {
    const pct = p.bytes === 0 ? 100 : Math.floor((100 * p.bytesDone) / p.bytes);
    const done = p.filesDone === p.files;
    io.notice(`\rscanning ${count(p.files)} log files: ${pct}% (${bytes(p.bytesDone)} of ${bytes(p.bytes)})${done ? `, ${count(p.records)} records` : ''}   `);
    if (done) io.notice('\n');
  };
}

/**
 * The usage source the flags ask for. The AWS SDK and DuckDB are imported only by the sources that
 * use them: together they are most of the CLI's start-up time.
 */
export async function buildUsageSource(options: SourceOptions, io: RunIo): Promise<UsageSource> {
  const awsFlag = options.athena === true || options.athenaRollup !== undefined || options.lookupEvents === true || options.lake !== undefined;
  if (awsFlag) {
    const aws = (await import('./aws-sources.js')).buildAwsUsageSource(options, io);
    if (aws !== undefined) return aws;
  }
  if (options.index !== undefined) {
    if (options.logs !== undefined) {
      throw new UsageError('pass either --logs or --index, not both', {
        hint: 'update the index with `iamtrim index --logs DIR --index FILE`, then use --index',
      });
    }
    return (await import('../ingest/index/index-source.js')).usageIndexSource(options.index);
  }
  if (options.logs === undefined) {
    throw new UsageError('no usage source: pass --logs DIR, --athena, --lookup-events or --lake ID', {
      hint: 'sync the trail first: aws s3 sync s3://<trail-bucket>/AWSLogs/ ./logs',
    });
  }
  const onProgress = progressPrinter(io);
  const local = {
    logs: options.logs,
    skipBadFiles: options.skipBadFiles === true,
    ...(onProgress !== undefined ? { onProgress } : {}),
  };
  io.verbose(`--logs ${options.logs}: read by the ${walkerDescription()}`);
  return streamLogsSource(local);
}

/**
 * `--iam FILE`, or else live IAM with the AWS flags: the per-role calls for one `--role`, the
 * account-wide GetAccountAuthorizationDetails for several or all roles.
 */
export async function buildIamSnapshot(
  options: { iam?: string | undefined; role?: string | readonly string[] | undefined } & AwsFlagOptions,
  env: RunIo['env'],
): Promise<IamSnapshot> {
  if (options.iam !== undefined) return (await import('../iam/snapshot-file.js')).readIamSnapshotFile(options.iam);
  const roles = typeof options.role === 'string' ? [options.role] : [...(options.role ?? [])];
  const [{ readLiveIam }, { awsClientConfig }] = await Promise.all([import('../iam/live-iam.js'), import('../aws/client-config.js')]);
  return readLiveIam(awsClientConfig(options, env), roles).catch((error: unknown) => {
    if (!(error instanceof UpstreamError)) throw error;
    // Without --iam the grant comes from live IAM; say so, and name the offline alternative.
    throw new UpstreamError(`no --iam FILE given, and live IAM could not be read: ${error.message}`, {
      hint: `${error.hint ?? 'check your AWS credentials'}; or pass --iam FILE, made with \`aws iam get-account-authorization-details > iam.json\``,
      cause: error,
    });
  });
}

/**
 * `--role`/`--function`/`--lambda`, with the live Lambda client (when there is no `--lambda FILE`)
 * built from the same AWS flags and environment as every other client.
 */
export async function resolveTarget(options: RoleTargetOptions & AwsFlagOptions, env: RunIo['env']): Promise<RoleTarget> {
  const { resolveRoleTarget } = await import('./role-target.js');
  if (options.function === undefined || options.lambda !== undefined) return resolveRoleTarget(options);
  const [{ lambdaClientFor }, { awsClientConfig }] = await Promise.all([import('../iam/lambda-live.js'), import('../aws/client-config.js')]);
  const config = awsClientConfig(options, env);
  return resolveRoleTarget(options, (nameOrArn) => lambdaClientFor(nameOrArn, config));
}

/**
 * `--last-accessed FILE|DIR|live` for one role: the AWS CLI's get-service-last-accessed-details
 * output (a file, or a folder of `<role name>.json`), or live IAM jobs with the AWS flags.
 */
export async function buildLastAccessed(
  value: string,
  role: { arn: string; name: string },
  options: AwsFlagOptions,
  env: RunIo['env'],
): Promise<LastAccessedReport> {
  const la = await import('../iam/last-accessed.js');
  if (value === 'live') {
    const [{ iamClient }, { awsClientConfig }, { readLiveLastAccessed }] = await Promise.all([
      import('../iam/live-iam.js'),
      import('../aws/client-config.js'),
      import('../iam/last-accessed-live.js'),
    ]);
    const client = iamClient(awsClientConfig(options, env));
    try {
      const result = await readLiveLastAccessed(client, [role]);
      const report = result.reports.get(role.name.toLowerCase());
      if (report === undefined) throw new InputError(`--last-accessed live: no report for ${role.name}: ${result.missing[0]?.reason ?? 'unknown'}`);
      return report;
    } finally {
      client.destroy();
    }
  }
  const reports = la.readLastAccessedPath(value, role.name);
  const report = reports.get(role.name.toLowerCase());
  if (report === undefined) {
    throw new InputError(`--last-accessed ${value}: no ${role.name}.json in the folder (${reports.size} role report(s))`, {
      hint: `aws iam get-service-last-accessed-details --job-id <id> > ${value}/${role.name}.json`,
    });
  }
  return report;
}

/** `drift --last-accessed DIR|live`: one report per role, in one pass (live: bounded concurrency). */
export async function buildLastAccessedAll(
  value: string,
  roles: readonly { arn: string; name: string }[],
  options: AwsFlagOptions,
  env: RunIo['env'],
): Promise<{ reports: Map<string, LastAccessedReport>; missing: { roleName: string; reason: string }[] }> {
  const la = await import('../iam/last-accessed.js');
  if (value !== 'live') {
    const reports = la.readLastAccessedPath(value);
    const missing = roles.filter((r) => !reports.has(r.name.toLowerCase())).map((r) => ({ roleName: r.name, reason: `no ${r.name}.json in ${value}` }));
    return { reports, missing };
  }
  const [{ iamClient }, { awsClientConfig }, { readLiveLastAccessed }] = await Promise.all([
    import('../iam/live-iam.js'),
    import('../aws/client-config.js'),
    import('../iam/last-accessed-live.js'),
  ]);
  const client = iamClient(awsClientConfig(options, env));
  try {
    return await readLiveLastAccessed(client, roles);
  } finally {
    client.destroy();
  }
}

/**
 * The trail's event selectors for `--trail-config FILE` (aws cloudtrail get-event-selectors output,
 * or get-event-data-store output) or `--trail NAME|ARN` (GetTrail and GetEventSelectors with the AWS
 * flags); with `--lake` and neither, the event data store's own (GetEventDataStore); else undefined.
 * A denied GetEventDataStore is refused (exit 3) unless `allowPartialWindow` (minimize's and pr's
 * `--allow-partial-window`; `partialHint` names it in the hint), which keeps every data-event permission.
 */
export async function buildTrailSelection(
  options: AwsFlagOptions & { trailConfig?: string; trail?: string; lake?: string; allowPartialWindow?: boolean; partialHint?: string },
  io: Pick<RunIo, 'env' | 'err'>,
): Promise<TrailSelection | undefined> {
  if (options.trailConfig !== undefined && options.trail !== undefined) {
    throw new UsageError('pass --trail-config FILE or --trail NAME, not both');
  }
  if (options.lake !== undefined && options.trail !== undefined) {
    throw new UsageError("--lake and --trail: a trail's selectors say nothing about what an event data store collects", {
      hint: "drop --trail (the store's own selectors are read with cloudtrail:GetEventDataStore), or pass --trail-config FILE with `aws cloudtrail get-event-data-store` output",
    });
  }
  const { parseTrailConfig } = await import('../diff/trail-selectors.js');
  if (options.trailConfig !== undefined) {
    const file = options.trailConfig;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new InputError(`--trail-config ${file}: cannot read it (${errorCode(cause)})`, {
        hint: 'aws cloudtrail get-event-selectors --trail-name NAME > trail.json',
        cause,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new InputError(`--trail-config ${file}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, {
        hint: 'aws cloudtrail get-event-selectors --trail-name NAME > trail.json',
      });
    }
    const selection = parseTrailConfig(json, `--trail-config ${file}`);
    if (options.lake !== undefined && selection.owner !== 'event-data-store') {
      throw new InputError(`--trail-config ${file}: with --lake it must hold the event data store's selectors, not a trail's (no EventDataStoreArn)`, {
        hint: `aws cloudtrail get-event-data-store --event-data-store ${options.lake} > eds.json`,
      });
    }
    return selection;
  }
  if (options.trail === undefined && options.lake === undefined) return undefined;
  const [{ CloudTrailClient }, { awsClientConfig }] = await Promise.all([import('@aws-sdk/client-cloudtrail'), import('../aws/client-config.js')]);
  const client = new CloudTrailClient(awsClientConfig(options, io.env));
  try {
    if (options.trail !== undefined) return await (await import('../diff/trail-selectors-live.js')).readLiveTrailSelection(client, options.trail);
    const lake = options.lake ?? '';
    const selection = await (await import('../diff/event-data-store-selectors-live.js')).readLiveEventDataStoreSelection(client, lake);
    if (selection.unknown === true) {
      // Unknown selectors: the store may leave out data events or management event sources, so an
      // action it holds no event of is not evidence of non-use (missing evidence is never unused).
      const fix = `grant cloudtrail:GetEventDataStore, or pass --trail-config FILE with \`aws cloudtrail get-event-data-store --event-data-store ${lake}\` output`;
      if (options.allowPartialWindow !== true) {
        throw new InputError(
          `--lake ${lake}: cloudtrail:GetEventDataStore was denied, so the event data store's selectors are unknown (it may not collect data events or some management event sources); no policy is proposed from partial evidence`,
          { hint: `${fix}${options.partialHint ?? ''}` },
        );
      }
      io.err(
        `warning: cloudtrail:GetEventDataStore was denied for ${lake}: its selectors are unknown, so every data-event permission is kept (see "event data store selectors unknown") and management events are judged as collected (--allow-partial-window); ${fix}\n`,
      );
    }
    return selection;
  } finally {
    client.destroy();
  }
}

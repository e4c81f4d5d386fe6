/**
 * Builds the AWS usage sources (Athena, LookupEvents, CloudTrail Lake) from the command flags,
 * with progress and cost lines on stderr. Kept out of `cli/sources.ts` so that file only branches.
 */
import { awsClientConfig, type AwsClientConfig } from '../aws/client-config.js';
import { UsageError } from '../errors.js';
import { bytes } from '../render/format.js';
import { estimateCostUsd } from '../ingest/athena/athena-client.js';
import { athenaSource, type AthenaSourceOptions } from '../ingest/athena/athena-source.js';
import { athenaRollupSource } from '../ingest/athena/rollup-source.js';
import { lakeSource } from '../ingest/cloudtrail-api/lake-source.js';
import { LOOKUP_DATA_EVENTS_NOTE, lookupEventsSource } from '../ingest/cloudtrail-api/lookup-source.js';
import type { UsageSource } from '../ingest/source.js';

/** The usage-source flags (the CLI's SourceOptions builds on these). */
export interface AwsSourceFlags {
  logs?: string;
  /** The usage index built by `iamtrim index` (answers whole-day windows without reading logs). */
  index?: string;
  athena?: boolean;
  athenaDatabase?: string;
  athenaTable?: string;
  athenaWorkgroup?: string;
  athenaOutput?: string;
  /** The daily rollup table made by `iamtrim athena rollup` (whole UTC days). */
  athenaRollup?: string;
  lookupEvents?: boolean;
  lake?: string;
  profile?: string;
  region?: string;
  assumeRole?: string;
}

/** What the sources need from the process: stderr (warnings; progress; detail), a terminal flag, the clock. */
export interface SourceIo {
  err(text: string): void;
  notice(text: string): void;
  verbose(text: string): void;
  interactive: boolean;
  now(): Date;
  env: Readonly<Record<string, string | undefined>>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function configOf(flags: AwsSourceFlags, env: SourceIo['env']): AwsClientConfig {
  return awsClientConfig(flags, env);
}

/** The AWS source the flags ask for, or undefined when they ask for local files. */
export function buildAwsUsageSource(flags: AwsSourceFlags, io: SourceIo): UsageSource | undefined {
  const chosen = [
    flags.logs !== undefined ? '--logs' : undefined,
    flags.index !== undefined ? '--index' : undefined,
    flags.athena === true ? '--athena' : undefined,
    flags.athenaRollup !== undefined ? '--athena-rollup' : undefined,
    flags.lookupEvents === true ? '--lookup-events' : undefined,
    flags.lake !== undefined ? '--lake' : undefined,
  ].filter((f) => f !== undefined);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')}: pass one usage source`);
  const clock = { now: () => io.now().getTime(), sleep: realSleep };

  if (flags.athena === true || flags.athenaRollup !== undefined) {
    let lastState = '';
    const output = flags.athenaOutput;
    if (output !== undefined && !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(output)) {
      throw new UsageError(`--athena-output ${output}: not an s3:// location`, { hint: 'for example --athena-output s3://my-athena-results/iamtrim/' });
    }
    const common: Omit<AthenaSourceOptions, 'table'> = {
      database: flags.athenaDatabase ?? 'default',
      ...(flags.athenaWorkgroup !== undefined ? { workgroup: flags.athenaWorkgroup } : {}),
      ...(output !== undefined ? { outputLocation: output } : {}),
      aws: configOf(flags, io.env),
      sleep: realSleep,
      now: clock.now,
      onProgress: (p) => {
        const line = `athena query ${p.queryExecutionId}: ${p.state} ${Math.round(p.elapsedMs / 1000)} s, ${bytes(p.bytesScanned)} scanned`;
        // A terminal redraws one line; a log file gets one line per state change.
        if (io.interactive) io.notice(`\r${line}   ${p.state === 'SUCCEEDED' ? '\n' : ''}`);
        else if (p.state !== lastState) io.notice(`${line}\n`);
        lastState = p.state;
      },
      onDone: (s) =>
        io.notice(
          `athena: scanned ${bytes(s.bytesScanned)} (estimated cost $${estimateCostUsd(s.bytesScanned).toFixed(4)} at $5/TB, 10 MB minimum), engine ${Math.round(s.engineMs / 1000)} s, query ${s.queryExecutionId}\n`,
        ),
    };
    if (flags.athenaRollup !== undefined) return athenaRollupSource({ ...common, rollup: flags.athenaRollup });
    return athenaSource({ ...common, table: flags.athenaTable ?? 'cloudtrail_logs' });
  }
  if (flags.lookupEvents === true) {
    const region = flags.region ?? io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'];
    if (region === undefined) {
      throw new UsageError('--lookup-events needs a Region', { hint: 'pass --region (global-service events are read from us-east-1 as well)' });
    }
    io.err(`warning: ${LOOKUP_DATA_EVENTS_NOTE}\n`);
    return lookupEventsSource({ regions: [region, 'us-east-1'], aws: configOf(flags, io.env), clock });
  }
  if (flags.lake !== undefined) {
    return lakeSource({ eventDataStore: flags.lake, aws: configOf(flags, io.env), clock });
  }
  return undefined;
}

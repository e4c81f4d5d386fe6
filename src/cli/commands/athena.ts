/** `iamtrim athena setup`: creates (or prints) the CloudTrail table the --athena source queries. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Command } from 'commander';
import { awsClientConfig, type AwsClientConfig } from '../../aws/client-config.js';
import { UsageError } from '../../errors.js';
import { executeAthenaStatement } from '../../ingest/athena/athena-client.js';
import { createDatabaseDdl, createTableDdl, DEFAULT_REGIONS, type TrailLayout } from '../../ingest/athena/setup-ddl.js';
import { readTrailLayout } from '../../ingest/athena/trail.js';
import type { CommandContext } from '../context.js';
import { addAwsOptions, type AwsFlagOptions } from '../options.js';
import { registerAthenaRollup } from './athena-rollup.js';

interface SetupOptions extends AwsFlagOptions {
  trail?: string;
  bucket?: string;
  prefix?: string;
  account?: string;
  database: string;
  table: string;
  organizationId?: string;
  regions?: string;
  workgroup?: string;
  output?: string;
  printOnly?: boolean;
}

/** `--bucket` (with `--account` or `--organization-id`): the layout from flags alone, no AWS call. */
function layoutFromFlags(opts: SetupOptions, regions: readonly string[] | undefined): TrailLayout & { isOrganizationTrail: boolean } {
  if (opts.trail !== undefined) throw new UsageError('pass one of --trail and --bucket, not both', { hint: '--trail reads the bucket with GetTrail' });
  if (opts.account === undefined && opts.organizationId === undefined) {
    throw new UsageError(
      `--bucket ${opts.bucket ?? ''}: pass --account ID (the account whose logs the table reads) or --organization-id o-... for an organization trail`,
    );
  }
  const region = opts.region;
  return {
    bucket: opts.bucket ?? '',
    prefix: (opts.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    // An organization table projects the accounts from the data; the account is only a label there.
    accountId: opts.account ?? '000000000000',
    ...(opts.organizationId !== undefined ? { organizationId: opts.organizationId } : {}),
    regions: regions ?? (region !== undefined ? [region] : DEFAULT_REGIONS),
    isOrganizationTrail: opts.organizationId !== undefined,
  };
}

async function layoutFromTrail(
  opts: SetupOptions,
  aws: AwsClientConfig,
  regions: readonly string[] | undefined,
): Promise<TrailLayout & { isOrganizationTrail: boolean }> {
  if (opts.trail === undefined) {
    throw new UsageError('no trail: pass --trail NAME|ARN, or --bucket NAME with --account ID to name the log location yourself', {
      hint: 'with --bucket, --print-only needs no AWS credentials',
    });
  }
  const cloudtrail = new CloudTrailClient(aws);
  try {
    return await readTrailLayout(cloudtrail, opts.trail, {
      ...(opts.organizationId !== undefined ? { organizationId: opts.organizationId } : {}),
      ...(regions !== undefined ? { regions } : {}),
    });
  } finally {
    cloudtrail.destroy();
  }
}

export function registerAthena(program: Command, ctx: CommandContext): void {
  const athena = program.command('athena').description('Athena helpers for the --athena source');
  const setup = athena
    .command('setup')
    .description('create a CloudTrail table with partition projection (account, region, day) for a trail')
    .option('--trail <name|arn>', 'the trail whose S3 logs the table reads (read with cloudtrail:GetTrail)')
    .option('--bucket <name>', 'instead of --trail: the bucket the trail delivers to (no AWS call needed to print the DDL)')
    .option('--prefix <prefix>', "with --bucket: the trail's S3 key prefix, if any")
    .option('--account <id>', 'with --bucket: the account whose logs the table reads (single-account trail)')
    .option('--database <name>', 'Athena database', 'default')
    .option('--table <name>', 'table name', 'cloudtrail_logs')
    .option('--organization-id <o-...>', 'organization ID, for an organization trail')
    .option('--regions <list>', "comma-separated Regions to project (default: the trail's Regions)")
    .option('--workgroup <name>', 'Athena workgroup to run the DDL in')
    .option('--output <s3-uri>', 'query results location, unless the workgroup sets one')
    .option('--print-only', 'print the DDL instead of running it');
  addAwsOptions(setup);
  registerAthenaRollup(athena, ctx);
  setup.action(async (opts: SetupOptions) => {
    const aws = awsClientConfig(opts, ctx.io.env);
    const regions = opts.regions
      ?.split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    const layout = opts.bucket !== undefined ? layoutFromFlags(opts, regions) : await layoutFromTrail(opts, aws, regions);
    const names = { database: opts.database, table: opts.table };
    const statements = [createDatabaseDdl(names), createTableDdl(names, layout)];
    if (opts.printOnly === true) {
      ctx.io.out(`${statements.join(';\n\n')};\n`);
      return;
    }
    const client = new AthenaClient(aws);
    try {
      for (const sql of statements) {
        const stats = await executeAthenaStatement(client, sql, {
          database: opts.database,
          ...(opts.workgroup !== undefined ? { workgroup: opts.workgroup } : {}),
          ...(opts.output !== undefined ? { outputLocation: opts.output } : {}),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          now: () => ctx.io.now().getTime(),
        });
        ctx.io.notice(`athena: ${sql.split('\n')[0] ?? ''} … done (query ${stats.queryExecutionId})\n`);
      }
    } finally {
      client.destroy();
    }
    ctx.io.notice(
      `created ${opts.database}.${opts.table} for ${layout.isOrganizationTrail ? `organization ${layout.organizationId ?? ''}` : `account ${layout.accountId}`} (${layout.regions.length} Regions)\n` +
        `use it with: iamtrim minimize --athena --athena-database ${opts.database} --athena-table ${opts.table} ...\n`,
    );
  });
}

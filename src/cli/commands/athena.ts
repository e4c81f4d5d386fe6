/** `iamtrim athena setup`: creates (or prints) the CloudTrail table the --athena source queries. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Command } from 'commander';
import { awsClientConfig } from '../../aws/client-config.js';
import { executeAthenaStatement } from '../../ingest/athena/athena-client.js';
import { createDatabaseDdl, createTableDdl } from '../../ingest/athena/setup-ddl.js';
import { readTrailLayout } from '../../ingest/athena/trail.js';
import type { CommandContext } from '../context.js';
import { addAwsOptions, type AwsFlagOptions } from '../options.js';
import { registerAthenaRollup } from './athena-rollup.js';

interface SetupOptions extends AwsFlagOptions {
  trail: string;
  database: string;
  table: string;
  organizationId?: string;
  regions?: string;
  workgroup?: string;
  output?: string;
  printOnly?: boolean;
}

export function registerAthena(program: Command, ctx: CommandContext): void {
  const athena = program.command('athena').description('Athena helpers for the --athena source');
  const setup = athena
    .command('setup')
    .description('create a CloudTrail table with partition projection (account, region, day) for a trail')
    .requiredOption('--trail <name|arn>', 'the trail whose S3 logs the table reads')
    .option('--database <name>', 'Athena database', 'default')
    .option('--table <name>', 'table name', 'cloudtrail_logs')
    .option('--organization-id <o-...>', 'organization ID, for an organization trail')
    .option('--regions <list>', 'comma-separated Regions to project (default: the trail\'s Regions)')
    .option('--workgroup <name>', 'Athena workgroup to run the DDL in')
    .option('--output <s3-uri>', 'query results location, unless the workgroup sets one')
    .option('--print-only', 'print the DDL instead of running it');
  addAwsOptions(setup);
  registerAthenaRollup(athena, ctx);
  setup.action(async (opts: SetupOptions) => {
    const aws = awsClientConfig(opts, ctx.io.env);
    const cloudtrail = new CloudTrailClient(aws);
    let layout;
    try {
      layout = await readTrailLayout(cloudtrail, opts.trail, {
        ...(opts.organizationId !== undefined ? { organizationId: opts.organizationId } : {}),
        ...(opts.regions !== undefined ? { regions: opts.regions.split(',').map((r) => r.trim()).filter((r) => r !== '') } : {}),
      });
    } finally {
      cloudtrail.destroy();
    }
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

/**
 * `iamtrim athena rollup`: creates or extends the daily usage rollup of a CloudTrail table, a
 * Parquet table partitioned by UTC day, so scheduled `--athena-rollup` runs scan it instead of the
 * raw logs. With no rollup table: CTAS for the last --days complete days; with one: INSERT INTO
 * for the complete days after its latest. Prints each statement's bytes scanned and cost.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Command } from 'commander';
import { awsClientConfig } from '../../aws/client-config.js';
import { UsageError } from '../../errors.js';
import { executeAthenaStatement, estimateCostUsd, runAthenaQuery, type AthenaRunOptions } from '../../ingest/athena/athena-client.js';
import { checkIdentifier } from '../../ingest/athena/athena-query.js';
import { stringLiteral } from '../../ingest/athena/trino-dialect.js';
import { lastCompleteDay, parseAccounts, planRollup } from '../../ingest/athena/rollup.js';
import { bytes } from '../../render/format.js';
import type { CommandContext } from '../context.js';
import { addAwsOptions, type AwsFlagOptions } from '../options.js';

interface RollupOptions extends AwsFlagOptions {
  athenaDatabase: string;
  athenaTable: string;
  rollupTable: string;
  athenaWorkgroup?: string;
  athenaOutput?: string;
  accounts?: string;
  days: string;
  printOnly?: boolean;
}

export function registerAthenaRollup(athena: Command, ctx: CommandContext): void {
  const rollup = athena
    .command('rollup')
    .description('create or extend the daily usage rollup (Parquet, partitioned by day) that --athena-rollup reads')
    .option('--athena-database <name>', 'Athena database of the CloudTrail table (and of the rollup)', 'default')
    .option('--athena-table <name>', 'CloudTrail table made by `iamtrim athena setup`', 'cloudtrail_logs')
    .requiredOption('--rollup-table <name>', 'the rollup table to create or extend')
    .option('--athena-workgroup <name>', 'Athena workgroup (default: primary)')
    .option('--athena-output <s3-uri>', 'query results location s3://...; omit for a workgroup with managed or enforced results')
    .option('--accounts <list>', 'comma-separated account IDs to roll up (required for an organization table)')
    .option('--days <n>', 'days to roll up when the table is created', '90')
    .option('--print-only', 'print the CREATE TABLE AS statement for a new rollup of the last --days complete days, without AWS');
  addAwsOptions(rollup);
  rollup.action(async (opts: RollupOptions) => {
    if (!/^\d+$/.test(opts.days) || Number(opts.days) < 1 || Number(opts.days) > 3650) {
      throw new UsageError(`--days ${opts.days}: expected a whole number of days from 1 to 3650`);
    }
    const output = opts.athenaOutput;
    if (output !== undefined && !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(output)) {
      throw new UsageError(`--athena-output ${output}: not an s3:// location`);
    }
    const ref = {
      database: checkIdentifier('--athena-database', opts.athenaDatabase),
      table: checkIdentifier('--athena-table', opts.athenaTable),
      rollup: checkIdentifier('--rollup-table', opts.rollupTable),
      accounts: parseAccounts(opts.accounts),
    };
    const now = ctx.io.now();
    if (opts.printOnly === true) {
      // Offline: whether the rollup exists is unknown, so this is the statement that creates it.
      const plan = planRollup(ref, { exists: false, maxDay: null }, now, Number(opts.days));
      ctx.io.out(plan.statements.map((s) => `-- days ${s.from} to ${s.to}\n${s.sql};\n`).join('\n'));
      return;
    }
    const aws = awsClientConfig(opts, ctx.io.env);
    const run: AthenaRunOptions = {
      database: ref.database,
      ...(opts.athenaWorkgroup !== undefined ? { workgroup: opts.athenaWorkgroup } : {}),
      ...(output !== undefined ? { outputLocation: output } : {}),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => ctx.io.now().getTime(),
    };
    const cost = (scanned: number): string => `${bytes(scanned)} scanned, estimated cost $${estimateCostUsd(scanned).toFixed(4)}`;
    const client = new AthenaClient(aws);
    try {
      // Does the rollup exist? The names are bound as parameters (WHERE clause).
      const found = await runAthenaQuery(
        client,
        `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = ?`,
        [stringLiteral(ref.database), stringLiteral(ref.rollup)],
        run,
      );
      ctx.io.notice(
        `athena: looked up ${ref.database}.${ref.rollup}: ${found.rows.length > 0 ? 'exists' : 'not found'} (${cost(found.statistics.bytesScanned)})\n`,
      );
      let maxDay: string | null = null;
      if (found.rows.length > 0) {
        const max = await runAthenaQuery(client, `SELECT max(day) AS max_day FROM "${ref.database}"."${ref.rollup}"`, [], run);
        maxDay = max.rows[0]?.[0] ?? null;
        if (maxDay !== null && !/^\d{4}-\d{2}-\d{2}$/.test(maxDay)) {
          throw new UsageError(`${ref.database}.${ref.rollup}: latest day ${maxDay} is not YYYY-MM-DD; is it an iamtrim rollup?`);
        }
        ctx.io.notice(`athena: ${ref.database}.${ref.rollup} holds days up to ${maxDay ?? '(none)'} (${cost(max.statistics.bytesScanned)})\n`);
      }
      const plan = planRollup(ref, { exists: found.rows.length > 0, maxDay }, now, Number(opts.days));
      if (plan.statements.length === 0) {
        ctx.io.out(`${ref.database}.${ref.rollup} is up to date (complete days end at ${lastCompleteDay(now)})\n`);
        return;
      }
      let total = 0;
      for (const s of plan.statements) {
        const stats = await executeAthenaStatement(client, s.sql, run);
        total += stats.bytesScanned;
        ctx.io.out(
          `${s.kind === 'CTAS' ? 'created' : 'inserted into'} ${ref.database}.${ref.rollup}: days ${s.from} to ${s.to} from ${ref.database}.${ref.table} (${cost(stats.bytesScanned)}, query ${stats.queryExecutionId})\n`,
        );
      }
      ctx.io.out(`total: ${cost(total)}; use it with: --athena-rollup ${ref.rollup} --athena-database ${ref.database} --end <a UTC midnight>\n`);
    } finally {
      client.destroy();
    }
  });
}

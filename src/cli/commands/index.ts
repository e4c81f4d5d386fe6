/** `iamtrim index`: build or update the usage index, reading only new or changed log files. */
import type { Command } from 'commander';
import { updateUsageIndex } from '../../ingest/index/build-index.js';
import { count } from '../../render/format.js';
import type { CommandContext } from '../context.js';

/** Where the index lives when --index is not given (`.iamtrim/` is git-ignored). */
export const DEFAULT_INDEX = '.iamtrim/usage-index.duckdb';

interface IndexOptions {
  logs?: string;
  index: string;
  skipBadFiles?: boolean;
}

export function registerIndex(program: Command, ctx: CommandContext): void {
  program
    .command('index')
    .description('build or update the per-day usage index from CloudTrail files (only new or changed files are read)')
    .requiredOption('--logs <dir>', 'CloudTrail log files: a folder synced from the trail bucket (AWSLogs/...)')
    .option('--index <file>', 'the index file (DuckDB)', DEFAULT_INDEX)
    .option('--skip-bad-files', 'record unreadable log files in the index as missing evidence and continue')
    .action(async (opts: IndexOptions) => {
      const update = await updateUsageIndex({
        logs: opts.logs ?? '',
        index: opts.index,
        skipBadFiles: opts.skipBadFiles === true,
        now: ctx.io.now(),
      });
      const lines = [
        `${update.index}: read ${count(update.added)} new and ${count(update.changed)} changed file(s) (${count(update.records)} records); ${count(update.unchanged)} unchanged`,
        `covers ${update.covered.first ?? '-'} to ${update.covered.last ?? '-'}`,
      ];
      if (update.missing > 0) lines.push(`${count(update.missing)} indexed file(s) no longer on disk: their usage is kept`);
      if (update.skipped.length > 0) lines.push(`${count(update.skipped.length)} file(s) skipped, recorded as missing evidence`);
      ctx.io.out(`${lines.join('\n')}\n`);
    });
}

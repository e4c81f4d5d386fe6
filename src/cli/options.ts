/** Options shared by the commands that read usage: the window, the sources, the output. */
import { Option, type Command } from 'commander';
import type { AwsSourceFlags } from './aws-sources.js';
import { UsageError } from '../errors.js';
import type { TimeWindow } from '../model.js';

export interface WindowOptions {
  days: string;
  end?: string;
}

/** Every usage-source flag: the AWS layer's own (`--logs`, `--index`, `--athena…`, …) plus the CLI's. */
export interface SourceOptions extends AwsSourceFlags {
  skipBadFiles?: boolean;
}

/** `--profile`, `--region`, `--assume-role`: how iamtrim reaches AWS (sources and live IAM). */
export interface AwsFlagOptions {
  profile?: string;
  region?: string;
  assumeRole?: string;
}

/** The AWS connection flags, shared by every command that may call AWS. */
export function addAwsOptions(command: Command): Command {
  return command
    .option('--profile <name>', 'AWS profile from ~/.aws/config (default: the standard credential chain)')
    .option('--region <region>', 'AWS Region of the Athena workgroup / CloudTrail calls')
    .option('--assume-role <arn>', 'assume this role first, e.g. to read another account');
}

export interface OutputOptions {
  out?: string;
}

export function addWindowOptions(command: Command): Command {
  return command.option('--days <n>', 'look-back window in days', '30').option('--end <iso-8601>', 'end of the window (exclusive); default now');
}

/** The options each command got from addSourceOptions/addAwsOptions: the source descriptor. */
const SOURCE_OPTIONS = new WeakMap<Command, Set<string>>();

/**
 * The source and AWS flags as the user gave them on the command line, in declaration order, ready
 * to replay in another command (drift's suggested `minimize` per role). Read from the options
 * addSourceOptions declared, never a hand-kept list, so a new source flag is carried over too.
 */
export function givenSourceArgs(command: Command): string[] {
  const declared = SOURCE_OPTIONS.get(command) ?? new Set<string>();
  const args: string[] = [];
  for (const option of command.options) {
    const name = option.attributeName();
    if (!declared.has(name) || option.long === undefined || command.getOptionValueSource(name) !== 'cli') continue;
    const value: unknown = command.getOptionValue(name);
    if (value === true) args.push(option.long);
    else if (typeof value === 'string') args.push(option.long, value);
  }
  return args;
}

export function addSourceOptions(command: Command): Command {
  const before = command.options.length;
  command
    .option('--logs <dir>', 'CloudTrail log files: a folder synced from the trail bucket (AWSLogs/...), or one file')
    .option('--index <file>', 'the usage index built by `iamtrim index` (whole UTC days; without --end the window ends at 00:00:00Z today)')
    .option('--skip-bad-files', 'continue past unreadable log files and report how many were skipped')
    .option('--athena', 'query the CloudTrail table in Athena instead of local files (see docs/athena.md)')
    .option('--athena-database <name>', 'Athena database of the CloudTrail table', 'default')
    .option('--athena-table <name>', 'CloudTrail table made by `iamtrim athena setup`', 'cloudtrail_logs')
    .option('--athena-workgroup <name>', 'Athena workgroup (default: primary)')
    .option('--athena-output <s3-uri>', 'query results location s3://...; omit for a workgroup with managed or enforced results')
    .option('--athena-rollup <table>', 'query the daily rollup made by `iamtrim athena rollup` (whole UTC days) instead of the raw table')
    .option('--lookup-events', 'read CloudTrail event history (LookupEvents): management events of the last 90 days only')
    .option('--lake <event-data-store>', 'query a CloudTrail Lake event data store (ID or ARN)');
  addAwsOptions(command);
  SOURCE_OPTIONS.set(command, new Set(command.options.slice(before).map((o) => o.attributeName())));
  return command;
}

/** The format a file name implies, by its extension; YAML is both CloudFormation and SAM, so no guess. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, string>> = { '.json': 'json', '.tf': 'terraform', '.txt': 'text' };

/**
 * `--format` and `--out`, plus `--output`, the AWS CLI's name for the format (`--output json`),
 * never a file name. Without `--format`, a file given to `--out` picks the format from its
 * extension (`p.json` is JSON); an extension that names no single format is refused, not written
 * as text.
 */
export function addOutputOptions(command: Command, formats: readonly string[]): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(formats).default(formats[0]))
    .addOption(new Option('--output <format>', "same as --format (the AWS CLI's flag); to write a file use --out"))
    .option('--out <file>', 'write the output to a file (atomically) instead of stdout; without --format, .json and .tf pick the format')
    .hook('preAction', (cmd) => {
      const opts = cmd.opts<{ output?: string; out?: string; format: string }>();
      const explicit = cmd.getOptionValueSource('format') === 'cli';
      if (opts.output !== undefined) {
        if (!formats.includes(opts.output)) {
          throw new UsageError(`--output ${opts.output}: --output is the output format, as in the AWS CLI: ${formats.join(', ')}`, {
            hint: `to write a file, use --out ${opts.output}`,
          });
        }
        if (explicit && opts.format !== opts.output) throw new UsageError(`--format ${opts.format} and --output ${opts.output}: pass one of them`);
        cmd.setOptionValueWithSource('format', opts.output, 'cli');
        return;
      }
      if (explicit || opts.out === undefined) return;
      const dot = opts.out.lastIndexOf('.');
      const extension = dot > opts.out.lastIndexOf('/') ? opts.out.slice(dot).toLowerCase() : '';
      const implied = FORMAT_BY_EXTENSION[extension];
      if (implied !== undefined && formats.includes(implied)) cmd.setOptionValueWithSource('format', implied, 'cli');
      else if (extension === '.yaml' || extension === '.yml') {
        const yaml = formats.filter((f) => f === 'cloudformation' || f === 'sam');
        if (yaml.length > 0) {
          throw new UsageError(`--out ${opts.out}: which YAML? pass ${yaml.map((f) => `--format ${f}`).join(' or ')}`, {
            hint: `--format ${formats[0] ?? 'text'} writes the ${formats[0] ?? 'text'} format whatever the file is called`,
          });
        }
      }
    });
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `[end - days, end)`, with `end` defaulting to now; with `--index` or `--athena-rollup` (per-day rollups, which answer
 * whole UTC days only) `end` defaults to the start of the current UTC day, so a scheduled run
 * needs no hand-computed `--end`. The window is printed in every output.
 */
export function parseWindow(options: WindowOptions & { index?: string; athenaRollup?: string }, now: Date): TimeWindow {
  if (!/^\d+$/.test(options.days) || Number(options.days) < 1 || Number(options.days) > 3650) {
    throw new UsageError(`--days ${options.days}: expected a whole number of days from 1 to 3650`);
  }
  let end = options.index !== undefined || options.athenaRollup !== undefined ? new Date(`${now.toISOString().slice(0, 10)}T00:00:00Z`) : now;
  if (options.end !== undefined) {
    const ms = Date.parse(options.end);
    if (Number.isNaN(ms)) {
      throw new UsageError(`--end ${options.end}: not an ISO-8601 time`, { hint: 'for example --end 2026-11-01T00:00:00Z' });
    }
    end = new Date(ms);
  }
  const start = new Date(end.getTime() - Number(options.days) * 86_400_000);
  return { start: isoSeconds(start), end: isoSeconds(end) };
}

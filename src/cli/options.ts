/** Options shared by the commands that read usage: the window, the sources, the output. */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { TimeWindow } from '../model.js';

export interface WindowOptions {
  days: string;
  end?: string;
}

export interface SourceOptions {
  logs?: string;
  skipBadFiles?: boolean;
}

export interface OutputOptions {
  out?: string;
}

export function addWindowOptions(command: Command): Command {
  return command
    .option('--days <n>', 'look-back window in days', '30')
    .option('--end <iso-8601>', 'end of the window (exclusive); default now');
}

export function addSourceOptions(command: Command): Command {
  return command
    .option('--logs <dir>', 'CloudTrail log files: a folder synced from the trail bucket (AWSLogs/...), or one file')
    .option('--skip-bad-files', 'continue past unreadable log files and report how many were skipped');
}

export function addOutputOptions(command: Command, formats: readonly string[]): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(formats).default(formats[0]))
    .option('--out <file>', 'write the output to a file (atomically) instead of stdout');
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `[end - days, end)`, with `end` defaulting to now. */
export function parseWindow(options: WindowOptions, now: Date): TimeWindow {
  if (!/^\d+$/.test(options.days) || Number(options.days) < 1 || Number(options.days) > 3650) {
    throw new UsageError(`--days ${options.days}: expected a whole number of days from 1 to 3650`);
  }
  let end = now;
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

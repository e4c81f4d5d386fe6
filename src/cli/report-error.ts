/** The one place that turns an error into a message and an exit code. */
import { CommanderError } from 'commander';
import { ExitCode, ToolError } from '../errors.js';
import type { CliIo } from './io.js';

export function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return ExitCode.Ok;
    }
    return ExitCode.Usage; // commander has already printed the message
  }
  if (error instanceof ToolError) {
    io.err(`iamtrim: ${error.message}\n`);
    if (error.hint !== undefined) io.err(`  hint: ${error.hint}\n`);
    if (error.exitCode === ExitCode.Internal) {
      io.err('  This is a bug in iamtrim; nothing was written. Please report it with the command you ran.\n');
    }
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.err(`iamtrim: internal error: ${detail}\n  This is a bug in iamtrim; nothing was written. Please report it with the command you ran.\n`);
  return ExitCode.Internal;
}

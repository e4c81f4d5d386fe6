/** Commander wiring: parse -> one use case -> one artefact. Exit codes are decided in reportError. */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { ExitCode } from '../errors.js';
import { registerAthena } from './commands/athena.js';
import { registerDemo } from './commands/demo.js';
import { registerDrift } from './commands/drift.js';
import { registerIndex } from './commands/index.js';
import { registerMinimize } from './commands/minimize.js';
import { registerPr } from './commands/pr.js';
import { registerUsage } from './commands/usage.js';
import type { CommandContext } from './context.js';
import type { CliIo } from './io.js';
import { reportError } from './report-error.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const ctx: CommandContext = { io, result: ExitCode.Ok };
  const program = new Command('iamtrim')
    .description('least-privilege AWS IAM policies from observed CloudTrail usage')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const register of [registerMinimize, registerUsage, registerDrift, registerPr, registerIndex]) register(program, ctx);
  registerAthena(program, ctx);
  registerDemo(program, ctx, main);
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return ctx.result;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Commander wiring: parse -> one use case -> one artefact. Exit codes are decided in reportError. */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { ExitCode } from '../errors.js';
import type { CommandContext } from './context.js';
import { isRunIo, runIo, type CliIo, type OutputLevel } from './io.js';
import { registerCompletion } from './commands/completion.js';
import { reportError } from './report-error.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

type Register = (program: Command, ctx: CommandContext) => void;

/**
 * The commands, in help order, each loaded only when needed: a run imports the one command it
 * names (the AWS SDK, DuckDB and Octokit cost ~1.5 s of start-up together, and `minimize --index`
 * needs only DuckDB); `--help`, `--version` and unknown commands load them all.
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Register>]> = [
  ['minimize', async () => (await import('./commands/minimize.js')).registerMinimize],
  ['usage', async () => (await import('./commands/usage.js')).registerUsage],
  ['drift', async () => (await import('./commands/drift.js')).registerDrift],
  ['pr', async () => (await import('./commands/pr.js')).registerPr],
  ['index', async () => (await import('./commands/index.js')).registerIndex],
  ['athena', async () => (await import('./commands/athena.js')).registerAthena],
  [
    'demo',
    async () => {
      const { registerDemo } = await import('./commands/demo.js');
      return (program, ctx) => registerDemo(program, ctx, main);
    },
  ],
];

/** The level the global flags ask for; the loudest wins when several are given. */
function levelOf(flags: { quiet?: boolean; verbose?: boolean; debug?: boolean }, inherited: OutputLevel): OutputLevel {
  if (flags.debug === true) return 'debug';
  if (flags.verbose === true) return 'verbose';
  if (flags.quiet === true) return 'quiet';
  return inherited;
}

export async function main(argv: readonly string[], boundary: CliIo): Promise<ExitCode> {
  // A command that runs the CLI again (demo) hands over its channels: the inner run keeps the level.
  const inherited: OutputLevel = isRunIo(boundary) ? boundary.level : 'normal';
  let level: OutputLevel = inherited;
  const io = runIo(boundary, () => level);
  const ctx: CommandContext = { io, result: ExitCode.Ok };
  const program = new Command('iamtrim')
    .description('least-privilege AWS IAM policies from observed CloudTrail usage')
    .version(version)
    .option('-q, --quiet', 'print only the output, errors and warnings (no progress, no "wrote FILE")')
    .option('--verbose', 'also print what each step chose (which walker read the logs, which AWS calls ran)')
    .option('--debug', 'as --verbose, and print the cause and stack of any error')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .hook('preAction', (_program, command) => {
      level = levelOf(program.opts<{ quiet?: boolean; verbose?: boolean; debug?: boolean }>(), inherited);
      io.verbose(`iamtrim ${version} ${command.name()} on Node ${process.versions.node}`);
    });
  try {
    const named = argv[2];
    const one = COMMANDS.filter(([name]) => name === named);
    // `completion` lists every command's flags, so it loads them all, as help does.
    for (const [, load] of one.length === 1 ? one : COMMANDS) (await load())(program, ctx);
    registerCompletion(program, ctx, version);
    for (const command of program.commands) command.exitOverride();
    await program.parseAsync([...argv]);
    return ctx.result;
  } catch (error) {
    return reportError(error, boundary, { debug: level === 'debug' });
  }
}

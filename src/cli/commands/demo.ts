/**
 * `iamtrim demo`: the README's main job. Generates a realistic demo account (CloudTrail logs in
 * the S3 delivery layout, gzipped, plus its IAM snapshot) into a git-ignored folder and runs
 * `minimize` on one of its roles, exactly as a user would on their own logs.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateDemo } from '../../demo/generate.js';
import { UsageError } from '../../errors.js';
import { bytes, count } from '../../render/format.js';
import type { CommandContext } from '../context.js';
import type { CliIo } from '../io.js';

interface DemoCommandOptions {
  dir: string;
  role: string;
  events?: string;
  days: string;
  seed: string;
}

/**
 * A demo folder is regenerated from scratch: delivery file names carry the time, so files of an
 * earlier run would otherwise be read as more events. Only a folder that holds a previous demo
 * (its manifest.json) or nothing is touched.
 */
async function clearPreviousDemo(dir: string): Promise<void> {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return;
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new UsageError(`--dir ${dir}: the folder is not empty and holds no earlier demo (no manifest.json)`, {
      hint: 'pick an empty or new folder for the demo account',
    });
  }
  await rm(join(dir, 'logs'), { recursive: true, force: true });
}

export function registerDemo(program: Command, ctx: CommandContext, runCli: (argv: readonly string[], io: CliIo) => Promise<number>): void {
  program
    .command('demo')
    .description('generate a demo account (logs + IAM snapshot) and minimize one of its roles')
    .option('--dir <dir>', 'where to generate', '.demo')
    .option('--role <name>', 'the role to minimize', 'app-api')
    .option('--events <n>', 'number of events to generate (default about 20,000)')
    .option('--days <n>', 'days of logs to generate', '30')
    .option('--seed <n>', 'generator seed (same seed and day: same logs)', '1')
    .action(async (opts: DemoCommandOptions) => {
      for (const [flag, value] of [
        ['--events', opts.events],
        ['--days', opts.days],
        ['--seed', opts.seed],
      ] as const) {
        if (value !== undefined && !/^\d+$/.test(value)) throw new UsageError(`${flag} ${value}: expected a whole number`);
      }
      const dir = resolve(opts.dir);
      await clearPreviousDemo(dir);
      const now = ctx.io.now();
      ctx.io.notice(`generating demo account logs in ${dir} ...\n`);
      const manifest = await generateDemo({
        outDir: dir,
        now,
        days: Number(opts.days),
        seed: Number(opts.seed),
        ...(opts.events !== undefined ? { events: Number(opts.events) } : {}),
      });
      ctx.io.notice(
        `generated ${count(manifest.events)} events by ${count(manifest.roles.length)} roles in ${count(manifest.files)} files (${bytes(manifest.bytes)}) + ${manifest.iamFile}\n\n`,
      );
      const argv = [
        'node',
        'iamtrim',
        'minimize',
        '--role',
        opts.role,
        '--days',
        opts.days,
        '--end',
        manifest.window.end,
        '--logs',
        manifest.logsDir,
        '--iam',
        manifest.iamFile,
        '--trail-config',
        manifest.trailConfigFile,
      ];
      ctx.io.notice(`$ iamtrim ${argv.slice(2).join(' ')}\n\n`);
      ctx.result = (await runCli(argv, ctx.io)) as CommandContext['result'];
    });
}

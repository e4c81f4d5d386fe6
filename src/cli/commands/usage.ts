/** `iamtrim usage`: what a role (or every role) did, as JSON: why each permission is kept. */
import type { Command } from 'commander';
import { runUsage } from '../../app/usage.js';
import { UsageError } from '../../errors.js';
import { json } from '../../render/format.js';
import { emit, loadReferenceData, type CommandContext } from '../context.js';
import { addSourceOptions, addWindowOptions, parseWindow, type SourceOptions, type WindowOptions } from '../options.js';
import { buildIamSnapshot, buildUsageSource, resolveTarget } from '../sources.js';

interface UsageOptions extends WindowOptions, SourceOptions {
  role?: string[];
  allRoles?: boolean;
  iam?: string;
  out?: string;
  function?: string;
  lambda?: string;
}

export function registerUsage(program: Command, ctx: CommandContext): void {
  const command = program
    .command('usage')
    .description('print the actions and resources each role used, per CloudTrail call, as JSON')
    .option('--role <name|arn...>', 'one or more roles')
    .option('--function <name|arn>', 'a Lambda function: its execution role')
    .option('--lambda <file>', 'Lambda functions for --function: aws lambda list-functions > lambda-functions.json (default: ask the Lambda API)')
    .option('--all-roles', 'every role that made calls in the window')
    .option('--iam <file>', 'authorization details, to resolve role names to ARNs (optional)')
    .option('--out <file>', 'write the JSON to a file (atomically) instead of stdout');
  addWindowOptions(command);
  addSourceOptions(command);
  command.action(async (opts: UsageOptions) => {
    const roles = [...(opts.role ?? [])];
    if (opts.function !== undefined) {
      const target = await resolveTarget({ ...opts, role: undefined }, ctx.io.env);
      if (target.resolution !== undefined) {
        const { describeResolution } = await import('../../iam/lambda-functions.js');
        ctx.io.notice(`${describeResolution(target.resolution)}\n`);
      }
      roles.push(target.role);
    }
    if (roles.length > 0 === (opts.allRoles === true)) {
      throw new UsageError('pass either --role <name|arn> (or --function <name|arn>) or --all-roles');
    }
    const window = parseWindow(opts, ctx.io.now());
    const source = await buildUsageSource(opts, ctx.io);
    const iam = opts.iam !== undefined ? await buildIamSnapshot(opts, ctx.io.env) : undefined;
    // Loaded while the scan runs (its workers start first); a failure surfaces when it is awaited.
    const mapCall = loadReferenceData(iam).then((data) => data.mapCall);
    mapCall.catch(() => undefined);
    const report = await runUsage({ mapCall, source, ...(iam !== undefined ? { iam } : {}) }, { roles, window });
    await emit(ctx, json(report), opts.out);
  });
}

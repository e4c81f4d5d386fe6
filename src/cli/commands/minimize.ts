/** `iamtrim minimize`: one role's usage -> a checked least-privilege proposal. */
import { Option, type Command } from 'commander';
import { runMinimize } from '../../app/minimize.js';
import { renderPolicyDiff } from '../../render/policy-diff.js';
import { MINIMIZE_FORMATS, MINIMIZE_RENDERERS, type MinimizeFormat } from '../../render/registry.js';
import { minimizeJson } from '../../render/minimize-json.js';
import { json } from '../../render/format.js';
import { emit, loadReferenceData, type CommandContext } from '../context.js';
import {
  addOutputOptions,
  addSourceOptions,
  addWindowOptions,
  parseWindow,
  type OutputOptions,
  type SourceOptions,
  type WindowOptions,
} from '../options.js';
import { buildIamSnapshot, buildUsageSource } from '../sources.js';
import { expandActionPattern } from '../../iam/expand.js';
import { renderMinimizeSam } from '../../render/sam.js';
import { addRoleTargetOptions, resolveRoleTarget, type RoleTargetOptions } from '../../serverless/role-target.js';
import { describeResolution } from '../../serverless/lambda-functions.js';
import { withFunctionTarget } from '../../serverless/target-output.js';

interface MinimizeOptions extends WindowOptions, SourceOptions, OutputOptions, RoleTargetOptions {
  iam?: string;
  format: MinimizeFormat;
  diff?: boolean;
  resources: 'exact' | 'generalize' | 'service';
  dropUnobservable?: boolean;
  policyType: 'managed' | 'inline';
  allowEmpty?: boolean;
  allowPartialWindow?: boolean;
}

/** Adds the options that shape a proposal (shared with `pr`). */
export function addProposalOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--resources <mode>', 'how far observed resources are generalised')
        .choices(['exact', 'generalize', 'service'])
        .default('generalize'),
    )
    .option('--drop-unobservable', 'also remove permissions whose use the logs cannot show')
    .addOption(
      new Option('--policy-type <type>', 'size limits to fit').choices(['managed', 'inline']).default('managed'),
    )
    .option('--allow-empty', 'propose even with no events in the window (removes every permission)')
    .option('--allow-partial-window', 'propose even when the logs cover only part of the window (see docs/errors.md)');
}

export function registerMinimize(program: Command, ctx: CommandContext): void {
  const command = program
    .command('minimize')
    .description("propose a least-privilege policy for a role from the CloudTrail events it made")
    .option('--iam <file>', 'authorization details: aws iam get-account-authorization-details > iam.json');
  addRoleTargetOptions(command, 'the role to minimize');
  addWindowOptions(command);
  addSourceOptions(command);
  addProposalOptions(command);
  addOutputOptions(command, MINIMIZE_FORMATS);
  command.option('--diff', 'print a unified diff of the current vs. the proposed policy').action(async (opts: MinimizeOptions) => {
    const window = parseWindow(opts, ctx.io.now());
    const target = await resolveRoleTarget(opts);
    if (target.resolution !== undefined) ctx.io.err(`${describeResolution(target.resolution)}\n`);
    const source = buildUsageSource(opts, ctx.io);
    const [iam, data] = await Promise.all([buildIamSnapshot(opts), loadReferenceData()]);
    const plan = await runMinimize(
      { ...data, source, iam },
      {
        role: target.role,
        window,
        allowEmpty: opts.allowEmpty === true,
        allowPartialWindow: opts.allowPartialWindow === true,
        proposal: { resources: opts.resources, dropUnobservable: opts.dropUnobservable === true, policyType: opts.policyType },
      },
    );
    let text =
      opts.format === 'sam'
        ? renderMinimizeSam(plan, { ...(target.resolution !== undefined ? { resolution: target.resolution } : {}), expandAction: (p) => expandActionPattern(data.catalog, p) })
        : MINIMIZE_RENDERERS[opts.format](plan);
    if (opts.diff === true) {
      const diff = renderPolicyDiff(plan.current, plan.proposed, plan.roleName);
      if (opts.format === 'json') text = json({ ...(minimizeJson(plan) as object), diff });
      else if (opts.format === 'text') text = `${text.slice(0, text.indexOf('\n\n') + 1)}\n${diff}`;
      else text = diff;
    }
    await emit(ctx, withFunctionTarget(text, opts.format, target), opts.out);
  });
}

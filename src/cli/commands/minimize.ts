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

interface MinimizeOptions extends WindowOptions, SourceOptions, OutputOptions {
  role: string;
  iam?: string;
  format: MinimizeFormat;
  diff?: boolean;
  resources: 'exact' | 'generalize' | 'service';
  dropUnobservable?: boolean;
  policyType: 'managed' | 'inline';
  allowEmpty?: boolean;
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
    .option('--allow-empty', 'propose even with no events in the window (removes every permission)');
}

export function registerMinimize(program: Command, ctx: CommandContext): void {
  const command = program
    .command('minimize')
    .description("propose a least-privilege policy for a role from the CloudTrail events it made")
    .requiredOption('--role <name|arn>', 'the role to minimize')
    .option('--iam <file>', 'authorization details: aws iam get-account-authorization-details > iam.json');
  addWindowOptions(command);
  addSourceOptions(command);
  addProposalOptions(command);
  addOutputOptions(command, MINIMIZE_FORMATS);
  command.option('--diff', 'print a unified diff of the current vs. the proposed policy').action(async (opts: MinimizeOptions) => {
    const window = parseWindow(opts, ctx.io.now());
    const source = buildUsageSource(opts, ctx.io);
    const [iam, data] = await Promise.all([buildIamSnapshot(opts), loadReferenceData()]);
    const plan = await runMinimize(
      { ...data, source, iam },
      {
        role: opts.role,
        window,
        allowEmpty: opts.allowEmpty === true,
        proposal: { resources: opts.resources, dropUnobservable: opts.dropUnobservable === true, policyType: opts.policyType },
      },
    );
    let text = MINIMIZE_RENDERERS[opts.format](plan);
    if (opts.diff === true) {
      const diff = renderPolicyDiff(plan.current, plan.proposed, plan.roleName);
      if (opts.format === 'json') text = json({ ...(minimizeJson(plan) as object), diff });
      else if (opts.format === 'text') text = `${text.slice(0, text.indexOf('\n\n') + 1)}\n${diff}`;
      else text = diff;
    }
    await emit(ctx, text, opts.out);
  });
}

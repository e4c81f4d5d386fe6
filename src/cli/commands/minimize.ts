/** `iamtrim minimize`: one role's usage -> a checked least-privilege proposal. */
import type { Command } from 'commander';
import { renderPermissionDiff, permissionDiff } from '../../render/permission-diff.js';
import { renderPolicyDiff } from '../../render/policy-diff.js';
import { MINIMIZE_FORMATS, MINIMIZE_RENDERERS, type MinimizeFormat } from '../../render/registry.js';
import { minimizeJson } from '../../render/minimize-json.js';
import { json } from '../../render/format.js';
import { emit, type CommandContext } from '../context.js';
import { addProposalOptions, planFromFlags, type ProposalFlags } from '../proposal-flags.js';
import { addOutputOptions, addSourceOptions, addWindowOptions, type OutputOptions } from '../options.js';
import { expandActionPattern } from '../../iam/expand.js';
import { renderMinimizeSam } from '../../render/sam.js';
import { addRoleTargetOptions } from '../role-target.js';
import { withFunctionTarget } from '../target-output.js';

interface MinimizeOptions extends ProposalFlags, OutputOptions {
  format: MinimizeFormat;
  diff?: boolean;
}

export function registerMinimize(program: Command, ctx: CommandContext): void {
  const command = program
    .command('minimize')
    .description('propose a least-privilege policy for a role from the CloudTrail events it made')
    .option('--iam <file>', 'authorization details: aws iam get-account-authorization-details > iam.json');
  addRoleTargetOptions(command, 'the role to minimize');
  addWindowOptions(command);
  addSourceOptions(command);
  addProposalOptions(command);
  addOutputOptions(command, MINIMIZE_FORMATS);
  command.option('--diff', 'also show what changes, per permission: removed, narrowed (fewer resources) or kept').action(async (opts: MinimizeOptions) => {
    const { plan, target, catalog } = await planFromFlags(opts, ctx);
    let text =
      opts.format === 'sam'
        ? renderMinimizeSam(plan, {
            ...(target.resolution !== undefined ? { resolution: target.resolution } : {}),
            expandAction: (p) => expandActionPattern(catalog, p),
          })
        : MINIMIZE_RENDERERS[opts.format](plan);
    if (opts.diff === true) {
      // The same per-permission view in every format; the policy output itself is never replaced.
      const changes = permissionDiff(plan);
      if (opts.format === 'json') {
        text = json({ ...(minimizeJson(plan) as object), permissionDiff: changes, diff: renderPolicyDiff(plan.current, plan.proposed, plan.roleName) });
      } else if (opts.format === 'text') {
        text = `${text.slice(0, text.indexOf('\n\n') + 1)}\n${renderPermissionDiff(changes, plan.roleName)}`;
      } else {
        text = `${renderPermissionDiff(changes, plan.roleName, '# ')}\n${text}`;
      }
    }
    await emit(ctx, withFunctionTarget(text, opts.format, target), opts.out);
  });
}

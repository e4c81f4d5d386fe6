/**
 * The flags and the sequence shared by every command that proposes a policy (`minimize`, `pr`):
 * resolve the role (or function), read usage and the grant, run the minimize use case. One place,
 * so a new proposal flag reaches every command that proposes.
 */
import { Option, type Command } from 'commander';
import { runMinimize } from '../app/minimize.js';
import type { MinimizePlan, UsageScan } from '../model.js';
import type { UsageSource } from '../ingest/source.js';
import type { IamCatalog } from '../iam/catalog.js';
import { describeResolution } from '../iam/lambda-functions.js';
import type { RoleTarget, RoleTargetOptions } from './role-target.js';
import { loadReferenceData, type CommandContext } from './context.js';
import { parseWindow, type SourceOptions, type WindowOptions } from './options.js';
import { buildIamSnapshot, buildLastAccessed, buildTrailSelection, buildUsageSource, resolveTarget } from './sources.js';
import { findRole } from '../iam/find-role.js';
import { UsageError } from '../errors.js';

export interface ProposalFlags extends WindowOptions, SourceOptions, RoleTargetOptions {
  iam?: string;
  resources: 'exact' | 'generalize' | 'service';
  dropUnobservable?: boolean;
  policyType: 'managed' | 'inline';
  allowEmpty?: boolean;
  allowPartialWindow?: boolean;
  strict?: boolean;
  lastAccessed?: string;
  lastAccessedDays: number;
  graceDays: number;
  trailConfig?: string;
  trail?: string;
}

/** Adds the options that shape a proposal. */
export function addProposalOptions(command: Command): Command {
  return command
    .addOption(new Option('--resources <mode>', 'how far observed resources are generalised').choices(['exact', 'generalize', 'service']).default('generalize'))
    .option('--drop-unobservable', 'also remove permissions whose use the logs cannot show')
    .addOption(new Option('--policy-type <type>', 'size limits to fit').choices(['managed', 'inline']).default('managed'))
    .option('--allow-empty', 'propose even with no events in the window (removes every permission)')
    .option(
      '--allow-partial-window',
      "propose even when the logs miss part of the window (its edges, days inside it), are from another account than the role, or --lake's event data store selectors cannot be read (see docs/errors.md)",
    )
    .option(
      '--last-accessed <file|dir|live>',
      "IAM last-accessed data (aws iam get-service-last-accessed-details output, a folder of <role>.json, or 'live'): keeps permissions attempted within --last-accessed-days",
    )
    .addOption(
      new Option('--last-accessed-days <n>', 'with --last-accessed: keep what IAM saw attempted within this many days')
        .default(400)
        .argParser(parseLastAccessedDays),
    )
    .addOption(
      new Option(
        '--grace-days <n>',
        'keep, as they are, policies whose current version (and every policy of a role) is younger than this many days: new grants may not have been used yet; 0 turns it off',
      )
        .default(14)
        .argParser(parseGraceDays),
    )
    .option(
      '--trail-config <file>',
      "the trail's event selectors (aws cloudtrail get-event-selectors output; with --lake, get-event-data-store output): what the trail does not log is kept as unobservable, exactly, instead of inferred per resource from the logs",
    )
    .option('--trail <name|arn>', 'the same, read live (cloudtrail:GetTrail, GetEventSelectors) with the AWS flags')
    .option('--strict', "fail (exit 3) when a call has no mapping, instead of keeping its service's granted actions");
}

/** `--last-accessed-days N`: a whole number of days, at least 1. */
function parseGraceDays(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--grace-days ${value}: not a whole number of days`, { hint: 'for example --grace-days 14, or --grace-days 0 for no grace' });
  return n;
}

export function parseLastAccessedDays(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--last-accessed-days ${value}: not a whole number of days`, { hint: 'for example --last-accessed-days 400' });
  return n;
}

export interface PlanFromFlags {
  plan: MinimizePlan;
  target: RoleTarget;
  catalog: IamCatalog;
  /**
   * The same proposal for another role (by ARN), from the same scan: the first scan already read
   * the usage of every role that shares a managed policy with the target.
   */
  planFor: (roleArn: string) => Promise<MinimizePlan>;
}

/**
 * A source that scans once for `arns` (the target and the roles sharing its managed policies) and
 * answers each role's query from that one scan.
 */
function scanOnce(source: UsageSource, arns: readonly string[]): UsageSource {
  let scan: Promise<UsageScan> | undefined;
  return {
    description: source.description,
    scan: async (query) => {
      scan ??= source.scan({ ...query, roles: { kind: 'roles', arns, names: [] } });
      const all = await scan;
      const wanted = new Set(query.roles.kind === 'roles' ? query.roles.arns : arns);
      return { ...all, rows: all.rows.filter((r) => wanted.has(r.roleArn)) };
    },
  };
}

/** Resolves the target, reads usage and the grant, and runs `runMinimize` for the flags given. */
/**
 * `sharedPolicies`: also read, in the same scan, the usage of every role that shares a managed
 * policy with the target (`pr` minimizes a shared policy for all of them; see `planFor`).
 */
export async function planFromFlags(opts: ProposalFlags, ctx: CommandContext, options: { sharedPolicies?: boolean } = {}): Promise<PlanFromFlags> {
  const window = parseWindow(opts, ctx.io.now());
  const target = await resolveTarget(opts, ctx.io.env);
  if (target.resolution !== undefined) ctx.io.notice(`${describeResolution(target.resolution)}\n`);
  const source = await buildUsageSource(opts, ctx.io);
  const iam = await buildIamSnapshot(opts, ctx.io.env);
  // Loaded while the scan runs (runMinimize starts it first); a failure surfaces when it is awaited.
  const data = loadReferenceData(iam);
  const reference = { catalog: data.then((d) => d.catalog), mapCall: data.then((d) => d.mapCall) };
  reference.catalog.catch(() => undefined);
  reference.mapCall.catch(() => undefined);
  const lastAccessed =
    opts.lastAccessed === undefined
      ? undefined
      : { report: await buildLastAccessed(opts.lastAccessed, findRole(iam, target.role), opts, ctx.io.env), days: opts.lastAccessedDays };
  const trailSelection = await buildTrailSelection(
    { ...opts, partialHint: '; --allow-partial-window proposes anyway, keeping every data-event permission' },
    ctx.io,
  );
  const grant = findRole(iam, target.role);
  const sharing = new Set([grant.arn]);
  for (const p of grant.policies) for (const arn of p.attachedTo ?? []) if (iam.roles.some((r) => r.arn === arn)) sharing.add(arn);
  const shared = sharing.size > 1 && options.sharedPolicies === true ? scanOnce(source, [...sharing]) : source;
  const input = (role: string, withLastAccessed: boolean): Parameters<typeof runMinimize>[1] => ({
    role,
    window,
    allowEmpty: opts.allowEmpty === true,
    allowPartialWindow: opts.allowPartialWindow === true,
    strict: opts.strict === true,
    graceDays: opts.graceDays,
    ...(lastAccessed !== undefined && withLastAccessed ? { lastAccessed } : {}),
    ...(trailSelection !== undefined ? { trailSelection } : {}),
    proposal: { resources: opts.resources, dropUnobservable: opts.dropUnobservable === true, policyType: opts.policyType },
  });
  const plan = await runMinimize({ ...reference, source: shared, iam }, input(target.role, true));
  const planFor = async (roleArn: string): Promise<MinimizePlan> => runMinimize({ ...reference, source: shared, iam }, input(roleArn, false));
  return { plan, target, catalog: await reference.catalog, planFor };
}

/**
 * `iamtrim drift`: the scheduled report over every role of an account. Wiring only: one scan via
 * the use case, the history read before and appended after the report files are written (so a
 * failed write never leaves a run nobody saw), and the --fail-on exit code.
 */
import { Option, type Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { applyHistory } from '../../drift/apply-history.js';
import { openHistoryStore } from '../../drift/history-store.js';
import type { DriftReport, HistoryView } from '../../drift/report.js';
import { createRiskMatcher } from '../../drift/risk.js';
import { runDrift, selectRoles, shellQuote } from '../../drift/run-drift.js';
import type { LastAccessedReport } from '../../iam/last-accessed.js';
import { ExitCode, UsageError } from '../../errors.js';
import { DRIFT_OUTPUTS } from '../../render/drift-registry.js';
import { loadReferenceData, type CommandContext } from '../context.js';
import { writeFileAtomic } from '../io.js';
import { addSourceOptions, addWindowOptions, givenSourceArgs, parseWindow, type SourceOptions, type WindowOptions } from '../options.js';
import { buildIamSnapshot, buildLastAccessedAll, buildTrailSelection, buildUsageSource } from '../sources.js';
import { parseLastAccessedDays } from '../proposal-flags.js';
import { readLambdaFunctionsFile } from '../../iam/lambda-functions.js';
import { buildServerlessSection } from '../../drift/lambda-drift.js';
import { historyOfAccounts, NO_EVIDENCE } from '../../drift/accounts.js';
import { snapshotAccounts } from '../../iam/snapshot-file.js';
import { accountOfArn } from '../../app/minimize.js';
import { accountArgsOf, liveAccountsPlan, readLiveAccounts } from '../drift-live-accounts.js';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

/** Where the history goes when --history is not given (relative to the working directory). */
export const DEFAULT_HISTORY = join('.iamtrim', 'history.duckdb');

interface DriftOptions extends WindowOptions, SourceOptions {
  iam?: string;
  roles: string[];
  exclude: string[];
  out: string;
  history?: string | false;
  failOn?: 'new-risk' | 'any-unused' | 'regression';
  allowEmpty?: boolean;
  lambda?: string;
  lastAccessed?: string;
  lastAccessedDays: number;
  trailConfig?: string;
  trail?: string;
  retireAfterDays: number;
  assumeRolePattern?: string;
  accounts?: string;
}

function collectGlobs(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== ''),
  ];
}

/** Whether the --fail-on condition holds for a finished report. */
export function failOnMet(report: DriftReport, condition: DriftOptions['failOn']): boolean {
  if (condition === 'new-risk') return (report.changes?.newRisks.length ?? 0) > 0;
  if (condition === 'any-unused') return report.roles.some((r) => r.unused > 0);
  if (condition === 'regression') return report.regressions.length > 0;
  return false;
}

export function registerDrift(program: Command, ctx: CommandContext): void {
  const command = program
    .command('drift')
    .description('report, for every role, granted vs. used permissions, the risk of the excess and the change since the last run')
    .option('--iam <file|dir>', 'authorization details: aws iam get-account-authorization-details > iam.json; or a folder of them, one per account')
    .option('--roles <glob>', 'only roles whose name (or ARN, for arn:… globs) matches; comma-separated or repeated', collectGlobs, [])
    .option('--exclude <glob>', 'leave out roles matching; comma-separated or repeated', collectGlobs, [])
    .requiredOption('--out <dir>', 'write report.md, report.json and report.html into this folder')
    .option('--history <file>', `the run history (DuckDB file; default ${DEFAULT_HISTORY})`)
    .option('--no-history', 'do not read or store the history (no changes, no trend)')
    .addOption(
      new Option('--fail-on <condition>', 'exit 1 when the condition holds (regression: a call that worked is no longer granted or now denied)').choices([
        'new-risk',
        'any-unused',
        'regression',
      ]),
    )
    .option(
      '--last-accessed <dir|live>',
      "IAM last-accessed data per role (a folder of <role>.json from aws iam get-service-last-accessed-details, or 'live'): permissions attempted within --last-accessed-days are kept, not unused",
    )
    .option('--last-accessed-days <n>', 'with --last-accessed: keep what IAM saw attempted within this many days', parseLastAccessedDays, 400)
    .option(
      '--retire-after-days <n>',
      'a role with no activity in the window and none in IAM (RoleLastUsed) for this many days gets a retirement recommendation',
      parseLastAccessedDays,
      90,
    )
    .option('--allow-empty', 'report even when the logs hold no event in the window (every role reads as unused)')
    .option(
      '--trail-config <file>',
      "the trail's event selectors (aws cloudtrail get-event-selectors output): what the trail does not log is unobservable, exactly, instead of inferred per resource from the logs",
    )
    .option('--trail <name|arn>', 'the same, read live (cloudtrail:GetTrail, GetEventSelectors) with the AWS flags')
    .option('--lambda <file>', 'group roles by the Lambda functions that use them: aws lambda list-functions > lambda-functions.json')
    .option(
      '--assume-role-pattern <arn>',
      'live IAM of many accounts: assume this role in each (arn:aws:iam::{account}:role/NAME), accounts from the logs or --accounts',
    )
    .option('--accounts <ids>', 'with --assume-role-pattern: these accounts (comma-separated 12-digit ids) instead of those the logs name');
  addWindowOptions(command);
  addSourceOptions(command);
  command.action(async (opts: DriftOptions) => {
    if (opts.failOn === 'new-risk' && opts.history === false) {
      throw new UsageError('--fail-on new-risk needs the history to compare with, but --no-history is set', {
        hint: 'drop --no-history, or use --fail-on any-unused',
      });
    }
    const plan = await liveAccountsPlan(opts);
    if (plan !== undefined && opts.lastAccessed === 'live') {
      throw new UsageError('--last-accessed live and --assume-role-pattern: last-accessed data is read in one account only', {
        hint: 'pass --last-accessed DIR with one <role>.json per role, or drop --last-accessed',
      });
    }
    const now = ctx.io.now();
    const window = parseWindow(opts, now);
    const functions = opts.lambda !== undefined ? await readLambdaFunctionsFile(opts.lambda) : undefined;
    const source = await buildUsageSource(opts, ctx.io);
    // With --assume-role-pattern the scan comes first: it names the accounts whose IAM to read.
    const scanned = plan !== undefined ? await source.scan({ roles: { kind: 'all' }, window }) : undefined;
    const live = plan !== undefined && scanned !== undefined ? await readLiveAccounts(plan, scanned, window, opts, ctx.io) : undefined;
    const snapshot = live !== undefined ? Promise.resolve(live.iam) : buildIamSnapshot(opts, ctx.io.env);
    const [iam, data] = await Promise.all([snapshot, loadReferenceData(snapshot)]);
    const trailSelection = await buildTrailSelection(opts, ctx.io);
    const sourceArgs = givenSourceArgs(command);
    const minimizeArgs = [
      ...(opts.iam !== undefined ? ['--iam', opts.iam] : []),
      // Each role's minimize assumes its own account's role instead (accountArgs).
      ...(plan !== undefined ? sourceArgs.filter((a, i) => a !== '--assume-role' && sourceArgs[i - 1] !== '--assume-role') : sourceArgs),
      ...(opts.trailConfig !== undefined ? ['--trail-config', opts.trailConfig] : []),
      ...(opts.trail !== undefined ? ['--trail', opts.trail] : []),
      '--days',
      opts.days,
      '--end',
      window.end,
    ]
      .map(shellQuote)
      .join(' ');
    let lastAccessed: { reports: Map<string, LastAccessedReport>; days: number } | undefined;
    if (opts.lastAccessed !== undefined) {
      const selected = selectRoles(iam, opts.roles, opts.exclude).filter((r) => !r.serviceLinked);
      const read = await buildLastAccessedAll(opts.lastAccessed, selected, opts, ctx.io.env);
      if (read.missing.length > 0) {
        ctx.io.notice(
          `--last-accessed: no IAM last-accessed data for ${read.missing.length} role(s) (${read.missing
            .slice(0, 5)
            .map((m) => m.roleName)
            .join(', ')}${read.missing.length > 5 ? ', …' : ''}); they are judged on the window alone\n`,
        );
      }
      lastAccessed = { reports: read.reports, days: opts.lastAccessedDays };
    }
    const { report, record, denials } = await runDrift(
      {
        ...data,
        source,
        iam,
        risk: createRiskMatcher(data.catalog),
        ...(trailSelection !== undefined ? { trailSelection } : {}),
        ...(scanned !== undefined ? { scanned } : {}),
      },
      {
        window,
        include: opts.roles,
        exclude: opts.exclude,
        allowEmpty: opts.allowEmpty === true,
        minimizeArgs,
        now,
        toolVersion: version,
        retireAfterDays: opts.retireAfterDays,
        ...(functions !== undefined ? { functions: functions.map((f) => ({ name: f.name, role: f.role })) } : {}),
        ...(lastAccessed !== undefined ? { lastAccessed } : {}),
        ...(live !== undefined && plan !== undefined ? { notEvaluated: live.notEvaluated, accountArgs: accountArgsOf(plan) } : {}),
      },
    );
    const notEvaluated = live?.notEvaluated ?? [];
    const store = opts.history === false ? undefined : await openHistoryStore(opts.history ?? DEFAULT_HISTORY);
    try {
      let final = report;
      if (store !== undefined) {
        const stored: HistoryView = await store.read();
        // Accounts missing from this run are left out of the comparison: not "removed", nor new on their return.
        const history = notEvaluated.length > 0 ? historyOfAccounts(stored, new Set(snapshotAccounts(iam)), accountOfArn) : stored;
        final = applyHistory(data.catalog, report, record, history, denials);
      }
      final = { ...final, serverless: buildServerlessSection(final, iam, functions, opts.lambda) };
      await mkdir(opts.out, { recursive: true });
      for (const [file, render] of Object.entries(DRIFT_OUTPUTS)) await writeFileAtomic(join(opts.out, file), render(final));
      // A run missing accounts is not stored: the next complete run compares with the last complete one.
      if (store !== undefined && notEvaluated.length === 0) await store.append(record);
      ctx.io.notice(
        `wrote ${Object.keys(DRIFT_OUTPUTS)
          .map((f) => join(opts.out, f))
          .join(', ')}: ${final.summary.roles} ${final.summary.roles === 1 ? 'role' : 'roles'} from one scan of the logs` +
          `${store !== undefined && notEvaluated.length === 0 ? `; run ${final.history.runs} in ${store.path}` : ''}\n`,
      );
      if (final.regressions.length > 0) {
        ctx.io.err(
          `warning: ${final.regressions.length} regression(s): calls that worked are no longer granted or now denied; see Regressions in ${join(opts.out, 'report.md')}\n`,
        );
      }
      if (failOnMet(final, opts.failOn)) {
        ctx.io.err(`--fail-on ${opts.failOn ?? ''}: condition met\n`);
        ctx.result = ExitCode.Findings;
      }
      if (notEvaluated.length > 0) {
        const evaluated = snapshotAccounts(iam).length;
        ctx.io.err(
          `iamtrim: ${notEvaluated.length} of ${notEvaluated.length + evaluated} accounts not evaluated (${notEvaluated
            .map((a) => `${a.account}: ${a.reason}`)
            .join('; ')}); the report covers the other ${evaluated}${store !== undefined ? ' and the run is not stored in the history' : ''}\n`,
        );
        // The contract (docs/errors.md): 4 when an account's role or IAM could not be read, 3 when only evidence is missing.
        ctx.result = notEvaluated.some((a) => a.reason !== NO_EVIDENCE) ? ExitCode.Upstream : ExitCode.InvalidInput;
      }
    } finally {
      store?.close();
    }
  });
}

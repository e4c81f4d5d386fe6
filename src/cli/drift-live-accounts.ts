/**
 * `drift --assume-role-pattern`: live IAM across accounts. The flags are checked first (before any
 * scan or AWS call); then the one scan of the logs names the accounts (or `--accounts` does), each
 * account's IAM is read through its assumed role, and the per-account snapshots are merged as
 * `--iam DIR` merges files. Accounts not read are returned with their reason, for the report.
 */
import type { DriftAccountNotEvaluated } from '../drift/report.js';
import { logAccounts } from '../drift/accounts.js';
import { shellQuote } from '../drift/run-drift.js';
import { NO_EVIDENCE, planAccounts } from '../drift/accounts.js';
import { InputError, UpstreamError, UsageError } from '../errors.js';
import type { IamSnapshot, TimeWindow, UsageScan } from '../model.js';
import { noEvidenceMessage } from '../app/usage.js';
import type { RolePattern } from '../aws/assume-role-pattern.js';
import { compareText } from '../util/compare-text.js';
import type { RunIo } from './io.js';
import type { AwsFlagOptions } from './options.js';

export interface LiveAccountsFlags extends AwsFlagOptions {
  iam?: string;
  assumeRolePattern?: string;
  accounts?: string;
}

export interface LiveAccountsPlan {
  pattern: RolePattern;
  /** `--accounts`, validated; undefined: the accounts the logs name. */
  given: string[] | undefined;
}

/** Validates the multi-account flags; undefined without `--assume-role-pattern`. */
export async function liveAccountsPlan(flags: LiveAccountsFlags): Promise<LiveAccountsPlan | undefined> {
  if (flags.assumeRolePattern === undefined) {
    if (flags.accounts !== undefined) {
      throw new UsageError(`--accounts ${flags.accounts}: needs --assume-role-pattern (the role to read each account's IAM through)`, {
        hint: "add --assume-role-pattern 'arn:aws:iam::{account}:role/NAME'",
      });
    }
    return undefined;
  }
  if (flags.iam !== undefined) {
    throw new UsageError(`--iam ${flags.iam} and --assume-role-pattern: pass one (files, or live IAM through the role in each account)`);
  }
  const { parseAccountList, parseRolePattern } = await import('../aws/assume-role-pattern.js');
  const pattern = parseRolePattern(flags.assumeRolePattern);
  return { pattern, given: flags.accounts !== undefined ? parseAccountList(flags.accounts) : undefined };
}

export interface LiveAccountsIam {
  iam: IamSnapshot;
  notEvaluated: DriftAccountNotEvaluated[];
}

/**
 * Reads the IAM of the accounts the scan (or `--accounts`) names through the pattern's role. No
 * account to read, or none readable, is an error (nothing would be reported); some unreadable is
 * not: they are returned as not evaluated.
 */
export async function readLiveAccounts(
  plan: LiveAccountsPlan,
  scan: UsageScan,
  window: TimeWindow,
  flags: LiveAccountsFlags & { allowEmpty?: boolean },
  io: RunIo,
): Promise<LiveAccountsIam> {
  if (scan.evidence.events === 0 && flags.allowEmpty !== true) {
    throw new InputError(noEvidenceMessage('any role', window, scan.evidence), {
      hint: "widen --days, check --logs points at the accounts' trails, or pass --allow-empty to report every role as unused",
    });
  }
  const logs = logAccounts(scan);
  const { read, noEvidence } = planAccounts(logs, plan.given);
  if (read.length === 0) {
    throw new InputError(
      plan.given === undefined
        ? `--assume-role-pattern: the logs name no account (${scan.evidence.source})`
        : `--accounts ${plan.given.join(',')}: none of them is in the logs (${logs.length === 0 ? 'the logs name no account' : `the logs hold ${logs.slice(0, 5).join(', ')}${logs.length > 5 ? ', …' : ''}`})`,
      { hint: "point --logs at the accounts' trails, or name the accounts with --accounts" },
    );
  }
  const [{ readAccountsIam }, { awsClientConfig }, { mergeSnapshots }] = await Promise.all([
    import('../iam/live-iam-accounts.js'),
    import('../aws/client-config.js'),
    import('../iam/snapshot-file.js'),
  ]);
  io.notice(`live IAM: reading ${read.length} ${read.length === 1 ? 'account' : 'accounts'} through ${plan.pattern.pattern}\n`);
  const live = await readAccountsIam(read, plan.pattern, awsClientConfig(flags, io.env), (account, outcome) => {
    if ('reason' in outcome) io.err(`warning: account ${account} not evaluated: ${outcome.reason}\n`);
    else io.verbose(`live IAM: account ${account}: ${outcome.roles.length} roles`);
  });
  if (live.parts.length === 0) {
    const first = live.notEvaluated[0];
    throw new UpstreamError(
      `--assume-role-pattern: none of the ${read.length} ${read.length === 1 ? 'account' : 'accounts'} could be read${first !== undefined ? ` (${first.account}: ${first.reason}${live.notEvaluated.length > 1 ? '; …' : ''})` : ''}`,
      { hint: "the base credentials must be allowed sts:AssumeRole on the pattern's role, and the role must trust them; see docs/permissions.md" },
    );
  }
  const iam = {
    ...mergeSnapshots(`--assume-role-pattern ${plan.pattern.pattern}`, live.parts),
    source: `live IAM through ${plan.pattern.pattern} (${live.parts.length} ${live.parts.length === 1 ? 'account' : 'accounts'})`,
  };
  const notEvaluated = [...live.notEvaluated, ...noEvidence.map((account) => ({ account, reason: NO_EVIDENCE }))].sort((a, b) =>
    compareText(a.account, b.account),
  );
  return { iam, notEvaluated };
}

/** The `--assume-role` a role's minimize command needs to read its account's IAM. */
export function accountArgsOf(plan: LiveAccountsPlan): (account: string) => string {
  return (account) => `--assume-role ${shellQuote(plan.pattern.roleArnFor(account))}`;
}

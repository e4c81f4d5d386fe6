/**
 * Live IAM across accounts (`drift --assume-role-pattern`): in each account, assume the pattern's
 * role with STS, then read that account's IAM through the same GetAccountAuthorizationDetails path
 * as one account (`readAccountIam`), with the assumed credentials. An account that cannot be read
 * is kept with its reason ("not evaluated"), never dropped: missing evidence is never "unused".
 * A failure of the base credentials (no credentials, unknown profile, expired SSO) fails the run:
 * it is no account's fault.
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsClientConfig } from '../aws/client-config.js';
import { assumeRole, type RolePattern } from '../aws/assume-role-pattern.js';
import type { IamSnapshot } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { iamClient, readAccountIam } from './live-iam.js';
import { snapshotAccounts } from './snapshot-file.js';

/** An account whose IAM was not read, and why (shown as "not evaluated: <reason>"). */
export interface AccountNotEvaluated {
  account: string;
  reason: string;
}

export interface LiveAccountsIam {
  /** One snapshot per account read, by account id. */
  parts: IamSnapshot[];
  notEvaluated: AccountNotEvaluated[];
}

/** STS is global; like IAM, it is called in us-east-1 unless a Region is given. */
const STS_DEFAULT_REGION = 'us-east-1';

/** Accounts read at once: few enough to stay clear of STS and IAM throttling. */
const CONCURRENCY = 4;

function reasonOf(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

async function readOneAccount(sts: STSClient, config: AwsClientConfig, account: string, pattern: RolePattern): Promise<IamSnapshot> {
  const credentials = await assumeRole(sts, pattern.roleArnFor(account));
  const client = iamClient({ ...config, credentials: async () => credentials });
  try {
    const snapshot = await readAccountIam(client);
    const accounts = snapshotAccounts(snapshot);
    if (accounts.length === 0) throw new Error('iam:GetAccountAuthorizationDetails returned no role');
    if (accounts.length !== 1 || accounts[0] !== account) {
      throw new Error(`iam:GetAccountAuthorizationDetails returned roles of account ${accounts.join(', ')}, not ${account}; check --assume-role-pattern`);
    }
    return snapshot;
  } finally {
    client.destroy();
  }
}

/**
 * Reads every account's IAM through its assumed role. `base` carries the base credentials (the
 * standard chain, `--profile`, `--assume-role`); they are resolved once first, so their failure is
 * the run's, with its own explanation.
 */
export async function readAccountsIam(
  accounts: readonly string[],
  pattern: RolePattern,
  base: AwsClientConfig,
  onAccount: (account: string, outcome: IamSnapshot | AccountNotEvaluated) => void = () => undefined,
): Promise<LiveAccountsIam> {
  // A failure of the base credentials, remembered so that it fails the run instead of one account.
  let baseFailure: unknown;
  const baseCredentials = base.credentials;
  const credentials: AwsCredentialIdentityProvider | undefined =
    baseCredentials === undefined
      ? undefined
      : async (props) => {
          try {
            return await baseCredentials(props);
          } catch (error) {
            baseFailure ??= error;
            throw error;
          }
        };
  if (credentials !== undefined) await credentials();
  const sts = new STSClient({ ...base, ...(credentials !== undefined ? { credentials } : {}), region: base.region ?? STS_DEFAULT_REGION });
  const parts = new Map<string, IamSnapshot>();
  const notEvaluated: AccountNotEvaluated[] = [];
  try {
    const queue = [...accounts];
    const worker = async (): Promise<void> => {
      for (let account = queue.shift(); account !== undefined && baseFailure === undefined; account = queue.shift()) {
        try {
          const snapshot = await readOneAccount(sts, base, account, pattern);
          parts.set(account, snapshot);
          onAccount(account, snapshot);
        } catch (error) {
          if (baseFailure !== undefined) return;
          const missing = { account, reason: reasonOf(error) };
          notEvaluated.push(missing);
          onAccount(account, missing);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, accounts.length) }, worker));
  } finally {
    sts.destroy();
  }
  if (baseFailure !== undefined) throw baseFailure;
  return {
    parts: [...parts.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, s]) => s),
    notEvaluated: notEvaluated.sort((a, b) => compareText(a.account, b.account)),
  };
}

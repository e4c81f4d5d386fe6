/**
 * `--assume-role-pattern` and `--accounts`: which role to assume in each account, and the STS call
 * that assumes it. The session is the same as `--assume-role`'s (`ASSUME_ROLE_SESSION`), made with
 * the base credentials (the standard chain of `--profile`, or `--assume-role` first when given).
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { UpstreamError, UsageError } from '../errors.js';
import { ASSUME_ROLE_SESSION, ROLE_ARN } from './client-config.js';
import { upstreamError } from './errors.js';

const PLACEHOLDER = '{account}';
const EXAMPLE = "for example --assume-role-pattern 'arn:aws:iam::{account}:role/iamtrim-reader'";

/** A validated pattern: the role ARN to assume in an account. */
export interface RolePattern {
  pattern: string;
  roleArnFor(account: string): string;
}

/**
 * Validates `--assume-role-pattern`: an IAM role ARN whose account field is `{account}` (the
 * placeholder may also appear in the role name). Anything else is a usage error.
 */
export function parseRolePattern(pattern: string): RolePattern {
  if (!pattern.includes(PLACEHOLDER)) {
    throw new UsageError(`--assume-role-pattern ${pattern}: has no {account} placeholder`, { hint: EXAMPLE });
  }
  const fields = pattern.split(':');
  if (fields[4] !== PLACEHOLDER) {
    throw new UsageError(`--assume-role-pattern ${pattern}: {account} must be the account field of the ARN (arn:aws:iam::{account}:role/NAME)`, {
      hint: EXAMPLE,
    });
  }
  const roleArnFor = (account: string): string => pattern.split(PLACEHOLDER).join(account);
  if (!ROLE_ARN.test(roleArnFor('123456789012'))) {
    throw new UsageError(`--assume-role-pattern ${pattern}: not an IAM role ARN`, { hint: EXAMPLE });
  }
  return { pattern, roleArnFor };
}

/** Validates `--accounts`: comma-separated 12-digit account ids, returned sorted and de-duplicated. */
export function parseAccountList(value: string): string[] {
  const accounts = value.split(',').map((a) => a.trim());
  for (const account of accounts) {
    if (!/^\d{12}$/.test(account)) {
      throw new UsageError(`--accounts ${value}: ${account === '' ? 'an empty entry' : account} is not a 12-digit AWS account id`, {
        hint: '--accounts 111111111111,222222222222',
      });
    }
  }
  return [...new Set(accounts)].sort();
}

/** Assumes `roleArn` with STS; a failure is an UpstreamError naming the role and AWS's reason. */
export async function assumeRole(sts: STSClient, roleArn: string): Promise<AwsCredentialIdentity> {
  let answer;
  try {
    answer = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, ...ASSUME_ROLE_SESSION }));
  } catch (error) {
    throw upstreamError(`sts:AssumeRole ${roleArn}`, error);
  }
  const c = answer.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
    throw new UpstreamError(`sts:AssumeRole ${roleArn}: the answer holds no credentials`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken !== undefined ? { sessionToken: c.SessionToken } : {}),
    ...(c.Expiration !== undefined ? { expiration: c.Expiration } : {}),
  };
}

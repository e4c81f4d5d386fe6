/**
 * One AWS client configuration for every source: the standard credential chain (env, SSO,
 * profiles, container and instance roles), `--profile`, `--region`, `--assume-role` to read
 * another account, and the SDK's adaptive retry so throttling is absorbed before it becomes an
 * error. Endpoints follow the SDK's own settings (`AWS_ENDPOINT_URL_<SERVICE>`), which is also
 * how tests point the production clients at local stand-ins.
 */
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { UsageError } from '../errors.js';

/** The AWS flags shared by every command that talks to AWS. */
export interface AwsOptions {
  profile?: string;
  region?: string;
  assumeRole?: string;
}

/** The subset of SDK v3 client configuration iamtrim sets; valid for every client. */
export interface AwsClientConfig {
  profile?: string;
  region?: string;
  credentials?: AwsCredentialIdentityProvider;
  maxAttempts: number;
  retryMode: 'adaptive' | 'standard';
}

/** Retries per call. Adaptive mode also rate-limits the client after a throttle. */
export const AWS_MAX_ATTEMPTS = 6;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,576}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Validates the AWS flags and builds the client configuration (nothing is called yet). */
export function awsClientConfig(options: AwsOptions): AwsClientConfig {
  if (options.region !== undefined && !REGION.test(options.region)) {
    throw new UsageError(`--region ${options.region}: not an AWS Region name`, { hint: 'for example --region eu-west-1' });
  }
  if (options.assumeRole !== undefined && !ROLE_ARN.test(options.assumeRole)) {
    throw new UsageError(`--assume-role ${options.assumeRole}: not an IAM role ARN`, {
      hint: 'for example --assume-role arn:aws:iam::123456789012:role/iamtrim-reader',
    });
  }
  const config: AwsClientConfig = { maxAttempts: AWS_MAX_ATTEMPTS, retryMode: 'adaptive' };
  if (options.profile !== undefined) config.profile = options.profile;
  if (options.region !== undefined) config.region = options.region;
  if (options.assumeRole !== undefined) {
    const base = fromNodeProviderChain(options.profile !== undefined ? { profile: options.profile } : {});
    config.credentials = fromTemporaryCredentials({
      masterCredentials: base,
      params: { RoleArn: options.assumeRole, RoleSessionName: 'iamtrim', DurationSeconds: 3600 },
      clientConfig: {
        ...(options.region !== undefined ? { region: options.region } : {}),
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
      },
    });
  }
  return config;
}

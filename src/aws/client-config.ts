/**
 * One AWS client configuration for every source: the standard credential chain (env, SSO,
 * profiles, container and instance roles), `--profile` or `AWS_PROFILE`, `--region` or
 * `AWS_REGION` or `AWS_DEFAULT_REGION` (the AWS CLI's variable, which the SDK does not read),
 * `--assume-role` to read another account, and the SDK's adaptive retry so throttling is absorbed
 * before it becomes an error. Endpoints follow the SDK's own settings (`AWS_ENDPOINT_URL_<SERVICE>`),
 * which is also how tests point the production clients at local stand-ins.
 *
 * A credential failure is explained where it happens, naming what the user can fix: a profile
 * that is in neither shared file, an expired SSO session (`aws sso login --profile X`), no
 * credentials at all.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { ToolError, UpstreamError, UsageError } from '../errors.js';

/** The AWS flags shared by every command that talks to AWS. */
export interface AwsOptions {
  profile?: string | undefined;
  region?: string | undefined;
  assumeRole?: string | undefined;
}

/** The environment variables read here (the process boundary passes them in). */
export type AwsEnv = Readonly<Record<string, string | undefined>>;

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

/** An IAM role ARN (any partition, path allowed). */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,576}$/;

/** Every AssumeRole iamtrim makes (`--assume-role`, `--assume-role-pattern`): the session CloudTrail records, one hour. */
export const ASSUME_ROLE_SESSION = { RoleSessionName: 'iamtrim', DurationSeconds: 3600 } as const;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** The Region from the flag or the environment, in the AWS CLI's order; undefined leaves it to the profile. */
export function regionFrom(options: AwsOptions, env: AwsEnv): { region: string; from: string } | undefined {
  if (options.region !== undefined) return { region: options.region, from: '--region' };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '') return { region: value, from: name };
  }
  return undefined;
}

/** The profile in effect and where it was named: `--profile` wins over `AWS_PROFILE`. */
export function profileFrom(options: AwsOptions, env: AwsEnv): { name: string; from: string } | undefined {
  if (options.profile !== undefined) return { name: options.profile, from: '--profile' };
  const value = env['AWS_PROFILE'];
  return value !== undefined && value !== '' ? { name: value, from: 'AWS_PROFILE' } : undefined;
}

/** The section names of an INI file (`[profile x]` counts as `x`); a missing file has none. */
async function iniProfiles(path: string): Promise<Set<string>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const names = new Set<string>();
  for (const match of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) names.add(match[1] ?? '');
  return names;
}

function sharedFiles(env: AwsEnv): { config: string; credentials: string } {
  const home = env['HOME'] ?? homedir();
  return {
    config: env['AWS_CONFIG_FILE'] ?? join(home, '.aws', 'config'),
    credentials: env['AWS_SHARED_CREDENTIALS_FILE'] ?? join(home, '.aws', 'credentials'),
  };
}

const SSO_EXPIRED = /\bSSO\b.*(expired|invalid|refresh|login)|(expired|refresh).*\bSSO\b/is;

/**
 * Turns a credential provider's failure into an error that names its cause and its fix. The
 * SDK's own message ("Could not load credentials from any providers") names neither the profile
 * nor what to run.
 */
export async function explainCredentialFailure(error: unknown, options: AwsOptions, env: AwsEnv): Promise<ToolError> {
  if (error instanceof ToolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const profile = profileFrom(options, env);
  if (profile !== undefined) {
    const files = sharedFiles(env);
    const [config, credentials] = await Promise.all([iniProfiles(files.config), iniProfiles(files.credentials)]);
    if (!config.has(profile.name) && !credentials.has(profile.name)) {
      return new UsageError(`${profile.from} ${profile.name}: no such profile in ${files.config} or ${files.credentials}`, {
        hint: 'list the profiles with `aws configure list-profiles`, or create it with `aws configure --profile ' + profile.name + '`',
        cause: error,
      });
    }
  }
  if (SSO_EXPIRED.test(message)) {
    const name = profile?.name;
    return new UpstreamError(`the AWS SSO session${name !== undefined ? ` of profile ${name}` : ''} has expired or was never started`, {
      hint: `run \`aws sso login${name !== undefined ? ` --profile ${name}` : ''}\`, then run iamtrim again`,
      cause: error,
    });
  }
  const first = message.split('\n')[0] ?? '';
  return new UpstreamError(`no AWS credentials${profile !== undefined ? ` for profile ${profile.name} (${profile.from})` : ''}: ${first}`, {
    hint:
      profile !== undefined
        ? `check the profile with \`aws sts get-caller-identity --profile ${profile.name}\``
        : 'set AWS_PROFILE or pass --profile, or export credentials (aws configure export-credentials); check with `aws sts get-caller-identity`',
    cause: error,
  });
}

/** Validates the AWS flags and builds the client configuration (nothing is called yet). */
export function awsClientConfig(options: AwsOptions, env: AwsEnv = {}): AwsClientConfig {
  if (options.region !== undefined && !REGION.test(options.region)) {
    throw new UsageError(`--region ${options.region}: not an AWS Region name`, { hint: 'for example --region eu-west-1' });
  }
  if (options.assumeRole !== undefined && !ROLE_ARN.test(options.assumeRole)) {
    throw new UsageError(`--assume-role ${options.assumeRole}: not an IAM role ARN`, {
      hint: 'for example --assume-role arn:aws:iam::123456789012:role/iamtrim-reader',
    });
  }
  const region = regionFrom(options, env)?.region;
  const config: AwsClientConfig = { maxAttempts: AWS_MAX_ATTEMPTS, retryMode: 'adaptive' };
  if (options.profile !== undefined) config.profile = options.profile;
  if (region !== undefined) config.region = region;
  const base = fromNodeProviderChain(options.profile !== undefined ? { profile: options.profile } : {});
  const explained: AwsCredentialIdentityProvider = async (props) => {
    try {
      return await base(props);
    } catch (error) {
      throw await explainCredentialFailure(error, options, env);
    }
  };
  config.credentials =
    options.assumeRole === undefined
      ? explained
      : fromTemporaryCredentials({
          masterCredentials: explained,
          params: { RoleArn: options.assumeRole, ...ASSUME_ROLE_SESSION },
          clientConfig: {
            ...(region !== undefined ? { region } : {}),
            ...(options.profile !== undefined ? { profile: options.profile } : {}),
          },
        });
  return config;
}

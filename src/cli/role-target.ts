/**
 * `--role` or `--function`: the one-of that every role-taking command accepts. Kept out of the
 * commands so `minimize`, `pr` and `drift` resolve a function the same way and say the same thing.
 */
import type { Command } from 'commander';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { UsageError } from '../errors.js';
import { readLambdaFunctionsFile, resolveFunction, type FunctionResolution } from '../iam/lambda-functions.js';

export interface RoleTargetOptions {
  role?: string | undefined;
  function?: string | undefined;
  lambda?: string | undefined;
}

/** The role to work on and, when it came from `--function`, how it was resolved. */
export interface RoleTarget {
  role: string;
  resolution?: FunctionResolution;
}

/** Adds `--role`, `--function` and `--lambda` (replaces a required `--role`). */
export function addRoleTargetOptions(command: Command, what = 'the role to work on'): Command {
  return command
    .option('--role <name|arn>', what)
    .option('--function <name|arn>', 'a Lambda function: work on its execution role (one of --role, --function)')
    .option('--lambda <file>', 'Lambda functions for --function: aws lambda list-functions > lambda-functions.json (default: ask the Lambda API)');
}

/** Resolves the flags to a role; `makeClient` is the seam tests use to stand in for Lambda. */
export async function resolveRoleTarget(options: RoleTargetOptions, makeClient?: (nameOrArn: string) => LambdaClient): Promise<RoleTarget> {
  if (options.role !== undefined && options.function !== undefined) {
    throw new UsageError('pass one of --role and --function, not both', { hint: '--function resolves to its execution role' });
  }
  if (options.function === undefined) {
    if (options.lambda !== undefined)
      throw new UsageError('--lambda needs --function', { hint: 'for example --function orders-api --lambda lambda-functions.json' });
    if (options.role === undefined) {
      throw new UsageError('no target: pass --role <name|arn> or --function <name|arn>', { hint: 'for example --role app-api or --function orders-api' });
    }
    return { role: options.role };
  }
  if (options.lambda !== undefined) {
    const resolution = resolveFunction(await readLambdaFunctionsFile(options.lambda), options.function, options.lambda);
    return { role: resolution.role, resolution };
  }
  // The Lambda client is loaded only when the Lambda API is asked (it costs start-up time).
  const live = await import('../iam/lambda-live.js');
  const resolution = await live.resolveFunctionLive((makeClient ?? live.lambdaClientFor)(options.function), options.function);
  return { role: resolution.role, resolution };
}

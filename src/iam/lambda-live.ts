/**
 * The live adapter for `--function` without `--lambda FILE`: Lambda GetFunctionConfiguration for
 * the role, then ListFunctions to name the other functions sharing it. Listing is best effort: a
 * caller allowed only lambda:GetFunctionConfiguration still gets the role, with `sharingKnown: false`.
 */
import { GetFunctionConfigurationCommand, LambdaClient, paginateListFunctions, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { upstreamError } from '../aws/errors.js';
import { InputError, ToolError, UpstreamError } from '../errors.js';
import { functionsUsingRole, lambdaFunction, type FunctionResolution, type LambdaFunction } from './lambda-functions.js';

const REGION_IN_ARN = /^arn:[^:]+:lambda:([^:]+):/;

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** Builds a client in the function's region when `--function` is an ARN. */
export function lambdaClientFor(nameOrArn: string, config: LambdaClientConfig = {}): LambdaClient {
  const region = REGION_IN_ARN.exec(nameOrArn)?.[1];
  return new LambdaClient({ ...config, ...(region !== undefined && config.region === undefined ? { region } : {}) });
}

/** Resolves a function's execution role through the Lambda API. */
export async function resolveFunctionLive(client: LambdaClient, nameOrArn: string): Promise<FunctionResolution> {
  let fn: LambdaFunction;
  try {
    const out = await client.send(new GetFunctionConfigurationCommand({ FunctionName: nameOrArn }));
    if (out.FunctionName === undefined || out.FunctionArn === undefined || out.Role === undefined) {
      throw new UpstreamError(`Lambda GetFunctionConfiguration ${nameOrArn}: the answer has no FunctionArn or Role`);
    }
    fn = lambdaFunction({ FunctionName: out.FunctionName, FunctionArn: out.FunctionArn, Role: out.Role, Runtime: out.Runtime });
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const name = errorName(error);
    if (name === 'ResourceNotFoundException') {
      throw new InputError(`--function ${nameOrArn}: no such Lambda function`, {
        cause: error,
        hint: 'check the name, or pass the function ARN so its region is used',
      });
    }
    // The SDK's own name and message say the cause (a missing Region, no credentials, throttling).
    const translated = upstreamError(`Lambda GetFunctionConfiguration ${nameOrArn}`, error);
    const hint = `${translated.hint ?? 'check credentials and region'}; or pass --lambda FILE from \`aws lambda list-functions\``;
    if (name === 'AccessDeniedException') {
      throw new UpstreamError(translated.message, {
        cause: error,
        hint: 'the caller needs lambda:GetFunctionConfiguration, or pass --lambda FILE from `aws lambda list-functions`',
      });
    }
    throw translated instanceof UpstreamError ? new UpstreamError(translated.message, { cause: error, hint }) : translated;
  }
  const region = await client.config.region();
  try {
    const all: LambdaFunction[] = [];
    for await (const page of paginateListFunctions({ client }, {})) {
      for (const f of page.Functions ?? []) {
        if (f.FunctionName !== undefined && f.FunctionArn !== undefined && f.Role !== undefined)
          all.push(lambdaFunction({ FunctionName: f.FunctionName, FunctionArn: f.FunctionArn, Role: f.Role, Runtime: f.Runtime }));
      }
    }
    const sharing = functionsUsingRole(all, fn.role);
    if (!sharing.some((f) => f.arn === fn.arn)) sharing.push(fn);
    return { function: fn, role: fn.role, sharing, source: `live Lambda (${region})`, sharingKnown: true };
  } catch {
    // Best effort: the role is known; only the list of other functions is missing, and we say so.
    return { function: fn, role: fn.role, sharing: [fn], source: `live Lambda (${region})`, sharingKnown: false };
  }
}

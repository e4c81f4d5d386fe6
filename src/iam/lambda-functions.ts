/**
 * Lambda function -> execution role. Serverless teams think in functions, IAM in roles: this
 * module answers "which role does function X run as, and which other functions share it" from
 * `aws lambda list-functions` output or from a live lookup (see `lambda-live.ts`), so minimizing
 * a shared role never surprises the owners of the other functions.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { RoleArn } from '../model.js';

/** What iamtrim needs to know about one Lambda function. */
export interface LambdaFunction {
  name: string;
  arn: string;
  /** The execution role's full ARN. */
  role: RoleArn;
  region: string;
  accountId: string;
  partition: string;
  runtime?: string;
}

/** A function resolved to its role, with every known function that runs as the same role. */
export interface FunctionResolution {
  function: LambdaFunction;
  role: RoleArn;
  /** All functions known to use `role`, the resolved one included, sorted by ARN. */
  sharing: LambdaFunction[];
  /** Where the function data came from: a file path or `live Lambda (region)`. */
  source: string;
  /** False when the other functions could not be listed (live lookup without lambda:ListFunctions). */
  sharingKnown: boolean;
}

const functionSchema = z.object({ FunctionName: z.string(), FunctionArn: z.string(), Role: z.string(), Runtime: z.string().optional() }).loose();
const listSchema = z.object({ Functions: z.array(functionSchema) }).loose();

const FUNCTION_ARN = /^arn:([^:]+):lambda:([^:]+):(\d{12}):function:([^:]+)(?::[^:]+)?$/;

/** Builds a LambdaFunction from the fields both ListFunctions and GetFunctionConfiguration return. */
export function lambdaFunction(fields: { FunctionName: string; FunctionArn: string; Role: string; Runtime?: string | undefined }): LambdaFunction {
  const m = FUNCTION_ARN.exec(fields.FunctionArn);
  if (m === null) throw new InputError(`Lambda function ${fields.FunctionName}: unreadable FunctionArn ${fields.FunctionArn}`);
  return {
    name: fields.FunctionName,
    arn: `arn:${m[1]}:lambda:${m[2]}:${m[3]}:function:${m[4]}`,
    role: fields.Role,
    region: m[2] ?? '',
    accountId: m[3] ?? '',
    partition: m[1] ?? 'aws',
    ...(fields.Runtime !== undefined ? { runtime: fields.Runtime } : {}),
  };
}

/** Parses `aws lambda list-functions` output (one page or pages concatenated into `Functions`). */
export function parseLambdaFunctions(text: string, source: string): LambdaFunction[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`--lambda ${source}: not JSON`, {
      cause: error,
      hint: 'create it with `aws lambda list-functions > lambda-functions.json`',
    });
  }
  const parsed = listSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`--lambda ${source}: not the output of aws lambda list-functions (${parsed.error.issues[0]?.message ?? 'invalid'})`, {
      hint: 'create it with `aws lambda list-functions > lambda-functions.json`',
    });
  }
  return parsed.data.Functions.map(lambdaFunction).sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

export async function readLambdaFunctionsFile(path: string): Promise<LambdaFunction[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`--lambda ${path}: cannot read the file`, { cause: error, hint: 'check the path' });
  }
  return parseLambdaFunctions(text, path);
}

/** True when `nameOrArn` names `fn`: its name, its ARN, or a qualified ARN (`:alias`, `:version`). */
export function functionMatches(fn: LambdaFunction, nameOrArn: string): boolean {
  if (!nameOrArn.startsWith('arn:')) return fn.name === nameOrArn;
  const m = FUNCTION_ARN.exec(nameOrArn);
  return m !== null && `arn:${m[1]}:lambda:${m[2]}:${m[3]}:function:${m[4]}` === fn.arn;
}

/** Functions that run as `role`, sorted by ARN. */
export function functionsUsingRole(functions: readonly LambdaFunction[], role: RoleArn): LambdaFunction[] {
  return functions.filter((f) => f.role === role).sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

/** Resolves `--function` against a list of functions (file or live listing). */
export function resolveFunction(functions: readonly LambdaFunction[], nameOrArn: string, source: string): FunctionResolution {
  const found = functions.filter((f) => functionMatches(f, nameOrArn));
  if (found.length > 1) {
    throw new InputError(`--function ${nameOrArn}: ${found.length} functions in ${source} have this name (${found.map((f) => f.region).join(', ')})`, {
      hint: 'pass the function ARN instead of its name',
    });
  }
  const fn = found[0];
  if (fn === undefined) {
    const names = functions.map((f) => f.name);
    const near = names.filter((n) => n.includes(nameOrArn) || nameOrArn.includes(n)).slice(0, 3);
    throw new InputError(`--function ${nameOrArn}: no such function in ${source} (${functions.length} functions)`, {
      hint: near.length > 0 ? `did you mean ${near.join(', ')}?` : 'check the account and region the listing came from',
    });
  }
  return { function: fn, role: fn.role, sharing: functionsUsingRole(functions, fn.role), source, sharingKnown: true };
}

/** One line for humans: which role the function resolved to, and who else is affected. */
export function describeResolution(r: FunctionResolution): string {
  const roleName = r.role.slice(r.role.lastIndexOf('/') + 1);
  const head = `function ${r.function.name} runs as role ${roleName} (${r.role})`;
  const others = r.sharing.filter((f) => f.arn !== r.function.arn).map((f) => f.name);
  if (others.length > 0) {
    return `${head}; the role is shared by ${r.sharing.length} functions (${r.sharing.map((f) => f.name).join(', ')}): minimizing it affects all of them`;
  }
  return r.sharingKnown ? `${head}; no other function in ${r.source} uses it` : `${head}; other functions using it could not be listed`;
}

/** The JSON form added to `minimize --format json` output. */
export function resolutionJson(r: FunctionResolution): unknown {
  return {
    function: r.function.name,
    functionArn: r.function.arn,
    role: r.role,
    sharedBy: r.sharing.map((f) => f.name),
    sharingKnown: r.sharingKnown,
    source: r.source,
  };
}

import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
  ResourceNotFoundException,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateDemo } from '../src/demo/generate.js';
import { InputError, UpstreamError } from '../src/errors.js';
import { describeResolution, parseLambdaFunctions, readLambdaFunctionsFile, resolveFunction, type LambdaFunction } from '../src/iam/lambda-functions.js';
import { resolveFunctionLive } from '../src/iam/lambda-live.js';
import { resolveRoleTarget } from '../src/cli/role-target.js';
import { UsageError } from '../src/errors.js';
import { runCli } from './helpers/run-cli.js';

const ROLE_A = 'arn:aws:iam::123456789012:role/service/app-api';
const ROLE_B = 'arn:aws:iam::123456789012:role/solo';
const listing: { Functions: [FunctionConfiguration, FunctionConfiguration, FunctionConfiguration] } = {
  Functions: [
    { FunctionName: 'orders-webhook', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-webhook', Role: ROLE_A, Runtime: 'nodejs20.x' },
    { FunctionName: 'orders-api', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api', Role: ROLE_A },
    { FunctionName: 'solo-fn', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:solo-fn', Role: ROLE_B },
  ],
};

describe('function -> role from list-functions output', () => {
  const functions = parseLambdaFunctions(JSON.stringify(listing), 'f.json');

  it('parses region, account and partition from the function ARN', () => {
    const solo = functions.find((f) => f.name === 'solo-fn');
    expect(solo).toMatchObject({ region: 'us-east-1', accountId: '123456789012', partition: 'aws', role: ROLE_B });
  });

  it('resolves by name, by ARN and by qualified ARN, naming every function sharing the role', () => {
    for (const ref of [
      'orders-api',
      'arn:aws:lambda:eu-west-1:123456789012:function:orders-api',
      'arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live',
    ]) {
      const r = resolveFunction(functions, ref, 'f.json');
      expect(r.function.name).toBe('orders-api');
      expect(r.role).toBe(ROLE_A);
      expect(r.sharing.map((f) => f.name)).toEqual(['orders-api', 'orders-webhook']);
    }
    expect(describeResolution(resolveFunction(functions, 'orders-api', 'f.json'))).toMatch(
      /role app-api .*shared by 2 functions \(orders-api, orders-webhook\): minimizing it affects all of them/,
    );
    expect(describeResolution(resolveFunction(functions, 'solo-fn', 'f.json'))).toMatch(/no other function in f.json uses it/);
  });

  it('rejects unknown functions and non-listings as input errors with a hint', () => {
    expect(() => resolveFunction(functions, 'orders', 'f.json')).toThrow(InputError);
    try {
      resolveFunction(functions, 'orders', 'f.json');
    } catch (e) {
      expect(e instanceof InputError && e.hint).toMatch(/orders-api|orders-webhook/);
    }
    expect(() => parseLambdaFunctions('{"Roles":[]}', 'x.json')).toThrow(/list-functions/);
    expect(() => parseLambdaFunctions('not json', 'x.json')).toThrow(InputError);
  });

  it('refuses an ambiguous name in a multi-region listing', () => {
    const twice = { Functions: [...listing.Functions, { ...listing.Functions[1], FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders-api' }] };
    expect(() => resolveFunction(parseLambdaFunctions(JSON.stringify(twice), 'f'), 'orders-api', 'f')).toThrow(/2 functions/);
  });
});

describe('function -> role on the demo account', () => {
  let dir: string;
  let functions: LambdaFunction[];
  let demo: Awaited<ReturnType<typeof generateDemo>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-fn-'));
    demo = await generateDemo({ outDir: dir, now: new Date('2026-11-22T10:00:00Z'), events: 1500, seed: 7 });
    functions = await readLambdaFunctionsFile(demo.lambdaFile);
  }, 60_000);

  const base = (): string[] => ['--iam', demo.iamFile, '--logs', demo.logsDir, '--end', demo.window.end];

  it('minimize --function: JSON carries the resolution, text starts with it', async () => {
    const json = await runCli(['minimize', '--function', 'orders-api', '--lambda', demo.lambdaFile, ...base(), '--format', 'json'], { now: demo.window.end });
    expect(json.code, json.err).toBe(0);
    const parsed: unknown = JSON.parse(json.out);
    expect(parsed).toMatchObject({ roleName: 'app-api', lambda: { function: 'orders-api', sharedBy: ['orders-api', 'orders-webhook'], sharingKnown: true } });
    const text = await runCli(['minimize', '--function', 'orders-api', '--lambda', demo.lambdaFile, ...base()], { now: demo.window.end });
    expect(text.code, text.err).toBe(0);
    expect(text.out.split('\n')[0]).toMatch(/^function orders-api runs as role app-api/);
    const byRole = await runCli(['minimize', '--role', 'app-api', ...base(), '--format', 'json'], { now: demo.window.end });
    const roleParsed: unknown = JSON.parse(byRole.out);
    expect(roleParsed).not.toHaveProperty('lambda');
    // Same role, same evidence: the proposal does not depend on how the role was named.
    const proposed = typeof parsed === 'object' && parsed !== null && 'proposed' in parsed ? parsed.proposed : undefined;
    expect(proposed).toBeDefined();
    expect(roleParsed).toMatchObject({ proposed });
  }, 60_000);

  it('usage --function resolves to the role', async () => {
    const run = await runCli(['usage', '--function', 'orders-webhook', '--lambda', demo.lambdaFile, ...base()], { now: demo.window.end });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('arn:aws:iam::123456789012:role/service/app-api');
    expect(run.err).toMatch(/function orders-webhook runs as role app-api/);
  }, 60_000);

  it('--role and --function are one-of (exit 2)', async () => {
    const both = await runCli(['minimize', '--role', 'app-api', '--function', 'orders-api', '--lambda', demo.lambdaFile, ...base()]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/one of --role and --function/);
    const neither = await runCli(['minimize', ...base()]);
    expect(neither.code).toBe(2);
    expect(neither.err).toMatch(/--role <name\|arn> or --function/);
    const unknown = await runCli(['minimize', '--function', 'nope', '--lambda', demo.lambdaFile, ...base()]);
    expect(unknown.code).toBe(3);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('two demo functions share app-api', () => {
    const r = resolveFunction(functions, 'orders-webhook', 'demo');
    expect(r.role.endsWith('/app-api')).toBe(true);
    expect(r.sharing.map((f) => f.name)).toEqual(['orders-api', 'orders-webhook']);
  });
});

describe('function -> role live (Lambda API stubbed with aws-sdk-client-mock)', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());
  // Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
  afterAll(() => lambda.restore());
  const client = new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

  it('reads the role from GetFunctionConfiguration and the sharing functions from ListFunctions pages', async () => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'orders-api' }).resolves(listing.Functions[1]);
    lambda
      .on(ListFunctionsCommand)
      .resolvesOnce({ Functions: [listing.Functions[0]], NextMarker: 'm1' })
      .resolvesOnce({ Functions: [listing.Functions[1], listing.Functions[2]] });
    const r = await resolveFunctionLive(client, 'orders-api');
    expect(r.role).toBe(ROLE_A);
    expect(r.sharing.map((f) => f.name)).toEqual(['orders-api', 'orders-webhook']);
    expect(r.sharingKnown).toBe(true);
    expect(lambda.commandCalls(ListFunctionsCommand)[1]?.args[0].input.Marker).toBe('m1');
  });

  it('still resolves the role when ListFunctions is denied, and says the sharing is unknown', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(listing.Functions[2]);
    lambda.on(ListFunctionsCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    const r = await resolveFunctionLive(client, 'solo-fn');
    expect(r.role).toBe(ROLE_B);
    expect(r.sharingKnown).toBe(false);
    expect(describeResolution(r)).toMatch(/could not be listed/);
  });

  it('resolveRoleTarget asks the Lambda API when no --lambda file is given', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(listing.Functions[2]);
    lambda.on(ListFunctionsCommand).resolves({ Functions: listing.Functions });
    const target = await resolveRoleTarget({ function: 'solo-fn' }, () => client);
    expect(target.role).toBe(ROLE_B);
    expect(target.resolution?.sharing.map((f) => f.name)).toEqual(['solo-fn']);
    await expect(resolveRoleTarget({ lambda: 'x.json', role: 'r' })).rejects.toBeInstanceOf(UsageError);
  });

  it('maps a missing function to InputError and other failures to UpstreamError', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejectsOnce(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(resolveFunctionLive(client, 'ghost')).rejects.toBeInstanceOf(InputError);
    lambda.on(GetFunctionConfigurationCommand).rejectsOnce(Object.assign(new Error('x'), { name: 'AccessDeniedException' }));
    await expect(resolveFunctionLive(client, 'ghost')).rejects.toBeInstanceOf(UpstreamError);
  });
});

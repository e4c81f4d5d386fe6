/**
 * `iamtrim pr` end to end on a serverless.yml: the demo's queue-worker role, its inline policy
 * deployed by the Serverless Framework (`orders-worker-dev-lambda`: the framework's logging
 * statement plus the file's two statements). The pull request changes only the statements list,
 * keeps `${aws:accountId}` as written, and iam-simulate allows every observed call of the role with
 * the policy the framework would deploy from the new file. A statements list that is not the role's
 * is refused, writing nothing.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import type { PolicyDocument, PolicyShare, RoleUsage, Statement } from '../src/model.js';
import { serverlessFile } from '../src/pr/serverless-framework.js';
import { readServerlessList } from '../src/pr/serverless-read.js';
import { matchServerless } from '../src/pr/serverless-match.js';
import { rewriteServerlessList } from '../src/pr/serverless-rewrite.js';
import { startGitHubStandIn, type GitHubStandIn } from './pr-github-stand-in.js';
import { capturingIo, fileDiffSection, git, initWorkingCopy } from './helpers/git-repo.js';

const TOKEN = 'ghs_SLSTEST0123456789';
const ACCOUNT = '123456789012';
const WINDOW = ['--days', '20', '--end', '2026-03-01T00:00:00Z'];
const LOGS: Statement = {
  Effect: 'Allow',
  Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [
    `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/orders-worker-dev*:*`,
    `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/orders-worker-dev*:*:*`,
  ],
};
const HEAD = `service: orders-worker

provider:
  name: aws
  runtime: nodejs20.x
  stage: dev
  region: eu-west-1
  iam:
    role:
      name: queue-worker
      statements:
`;
const STATEMENTS = `        - Sid: Messaging
          Effect: Allow
          Action:
            - sqs:*
            - sns:*
          Resource: '*'
          Condition:
            StringEquals:
              aws:RequestedRegion: eu-west-1
        - Sid: Reports
          Effect: Allow
          Action:
            - s3:PutObject
            - s3:GetObject
          Resource: arn:aws:s3:::reports-\${aws:accountId}/*
`;
const TAIL = `
functions:
  worker:
    handler: handler.main # the order queue worker
    events:
      - sqs: arn:aws:sqs:eu-west-1:${ACCOUNT}:orders
`;
const OTHER = `service: billing

provider:
  name: aws
  iamRoleStatements:
    - Effect: Allow
      Action: ec2:*
      Resource: '*'
`;

let dir: string;
let manifest: DemoManifest;
let iamFile: string;
let github: GitHubStandIn;
let remote: string;
let work: string;

function testIo(env: Record<string, string> = { GITHUB_TOKEN: TOKEN }): ReturnType<typeof capturingIo> {
  return capturingIo(new Date('2026-03-01T06:00:00Z'), env);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-pr-sls-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 4_000, seed: 5 });
  // queue-worker's inline policy as the framework deploys it from the file: its logging statement, then the file's.
  const details = JSON.parse(await readFile(manifest.iamFile, 'utf8')) as { RoleDetailList: Array<Record<string, unknown>> };
  const statements = parseDocument(STATEMENTS).toJS() as Statement[];
  const deployed = JSON.parse(
    JSON.stringify({ Version: '2012-10-17', Statement: [LOGS, ...statements] }).replace('${aws:accountId}', ACCOUNT),
  ) as PolicyDocument;
  for (const role of details.RoleDetailList)
    if (role['RoleName'] === 'queue-worker') role['RolePolicyList'] = [{ PolicyName: 'orders-worker-dev-lambda', PolicyDocument: deployed }];
  iamFile = join(dir, 'iam-sls.json');
  await writeFile(iamFile, JSON.stringify(details));
  github = await startGitHubStandIn('acme', 'infra');
  remote = join(dir, 'remote.git');
  work = join(dir, 'work');
  initWorkingCopy(work, { origin: 'https://github.com/acme/infra.git', remote });
  await writeFile(join(work, 'serverless.yml'), HEAD + STATEMENTS + TAIL);
  await writeFile(join(work, 'billing.yml'), OTHER);
  // The same service with its Reports statement kept in a file other services include too.
  const [messaging, reports] = STATEMENTS.split('        - Sid: Reports\n');
  await writeFile(join(work, 'shared.yml'), `reports:\n  Sid: Reports\n${(reports ?? '').replace(/^ {10}/gm, '  ')}`);
  await writeFile(join(work, 'with-include.yml'), `${HEAD}${messaging ?? ''}        - \${file(./shared.yml):reports}\n${TAIL}`);
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
  git(work, 'push', '--quiet', 'origin', 'main');
}, 120_000);

afterAll(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

async function simulate(policies: readonly PolicyDocument[], role: string, action: string, resource: string): Promise<string> {
  const simulation: Simulation = {
    request: { principal: role, action, resource: { resource, accountId: ACCOUNT }, contextVariables: { 'aws:RequestedRegion': 'eu-west-1' } },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(simulation, {});
  return result.resultType === 'error' ? `error: ${JSON.stringify(result.errors).slice(0, 200)}` : result.overallResult;
}

describe('pr on a serverless.yml', () => {
  it('rewrites only provider.iam.role.statements; every observed call stays allowed (iam-simulate)', async () => {
    const io = testIo();
    const args = [
      'node',
      'iamtrim',
      'pr',
      '--role',
      'queue-worker',
      ...WINDOW,
      '--logs',
      manifest.logsDir,
      '--iam',
      iamFile,
      '--repo',
      work,
      '--file',
      'serverless.yml',
      '--github-api-url',
      github.url,
    ];
    expect(await main(args, io), io.stderr).toBe(0);
    const after = git(remote, 'show', 'iamtrim/queue-worker-orders-worker-dev-lambda-20260301:serverless.yml');
    expect(after.startsWith(HEAD)).toBe(true);
    expect(`${after}\n`.endsWith(TAIL)).toBe(true);
    expect(after).not.toMatch(/sqs:\*|sns:\*/);
    expect(after).toContain('${aws:accountId}');
    const list = serverlessFile('serverless.yml', after).lists[0];
    if (list === undefined) throw new Error('no list');
    const written = readServerlessList('serverless.yml', after.replace('${aws:accountId}', ACCOUNT), list).document;
    const body = String(github.requests.find((r) => r.method === 'POST')?.body?.['body']);
    expect(body).toContain('orders-worker-dev-lambda');

    const snapshot = parseAuthorizationDetails(JSON.parse(await readFile(iamFile, 'utf8')), iamFile);
    const grant = snapshot.roles.find((r) => r.name === 'queue-worker');
    if (grant === undefined) throw new Error('no queue-worker');
    const before = grant.policies.map((p) => p.document);
    // What the framework deploys from the new file: its logging statement, then the file's statements.
    const deployed = grant.policies.map((p) =>
      p.name === 'orders-worker-dev-lambda' ? { Version: '2012-10-17', Statement: [LOGS, ...written.Statement] } : p.document,
    );
    const usage = testIo({});
    expect(await main(['node', 'iamtrim', 'usage', '--role', 'queue-worker', ...WINDOW, '--logs', manifest.logsDir, '--iam', iamFile], usage)).toBe(0);
    const used = (JSON.parse(usage.stdout) as { roles: RoleUsage[] }).roles[0]?.used ?? [];
    let checked = 0;
    for (const call of used) {
      for (const resource of call.resources) {
        const concrete = resource.replace(/\*/g, 'x');
        if ((await simulate(before, grant.arn, call.action, concrete)) !== 'Allowed') continue;
        expect(await simulate(deployed, grant.arn, call.action, concrete), `${call.action} ${concrete}`).toBe('Allowed');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  }, 120_000);

  it('--plan writes the reviewed plan into the serverless.yml, the same diff as a computed run', async () => {
    const planFile = join(dir, 'plan.json');
    expect(
      await main(
        [
          'node',
          'iamtrim',
          'minimize',
          '--role',
          'queue-worker',
          ...WINDOW,
          '--logs',
          manifest.logsDir,
          '--iam',
          iamFile,
          '--format',
          'json',
          '--out',
          planFile,
        ],
        testIo({}),
      ),
    ).toBe(0);
    const fromPlan = testIo({});
    expect(await main(['node', 'iamtrim', 'pr', '--plan', planFile, '--repo', work, '--file', 'serverless.yml', '--dry-run'], fromPlan), fromPlan.stderr).toBe(
      0,
    );
    const computed = testIo({});
    expect(
      await main(
        [
          'node',
          'iamtrim',
          'pr',
          '--role',
          'queue-worker',
          ...WINDOW,
          '--logs',
          manifest.logsDir,
          '--iam',
          iamFile,
          '--repo',
          work,
          '--file',
          'serverless.yml',
          '--dry-run',
        ],
        computed,
      ),
    ).toBe(0);
    expect(fileDiffSection(fromPlan.stdout)).toContain('+++ b/serverless.yml');
    expect(fileDiffSection(fromPlan.stdout)).toContain('-            - sqs:*');
    expect(fileDiffSection(fromPlan.stdout)).toBe(fileDiffSection(computed.stdout));
  }, 120_000);

  it('follows a `- ${file(./shared.yml):reports}` statement through git; refuses to narrow what the shared file grants (exit 3)', async () => {
    const io = testIo({});
    const code = await main(
      [
        'node',
        'iamtrim',
        'pr',
        '--role',
        'queue-worker',
        ...WINDOW,
        '--logs',
        manifest.logsDir,
        '--iam',
        iamFile,
        '--repo',
        work,
        '--file',
        'with-include.yml',
        '--dry-run',
      ],
      io,
    );
    expect(code, io.stderr).toBe(3);
    expect(io.stderr).toMatch(
      /with-include.yml provider.iam.role.statements: \$\{file\(\.\/shared.yml\):reports\} grants s3:(Put|Get)Object on arn:aws:s3:::reports-\$\{aws:accountId\}\/\*, which the share drops; iamtrim does not edit shared.yml/,
    );
    expect(io.stdout).toBe('');
  }, 120_000);

  it("refuses a serverless.yml whose statements are not the role's (exit 3), naming the closest policy", async () => {
    const refs = git(remote, 'for-each-ref');
    const io = testIo({});
    const code = await main(
      [
        'node',
        'iamtrim',
        'pr',
        '--role',
        'queue-worker',
        ...WINDOW,
        '--logs',
        manifest.logsDir,
        '--iam',
        iamFile,
        '--repo',
        work,
        '--file',
        'billing.yml',
        '--dry-run',
      ],
      io,
    );
    expect(code).toBe(3);
    expect(io.stderr).toContain("--file billing.yml: no statements list in it is one of queue-worker's inline policies");
    expect(io.stderr).toContain('orders-worker-dev-lambda (inline)');
    expect(io.stdout).toBe('');
    expect(git(remote, 'for-each-ref')).toBe(refs);
  }, 120_000);
});

describe('serverless.yml lists pr cannot prove or rewrite are refused in one line; condition expressions survive', () => {
  const head = 'service: svc\nprovider:\n  name: aws\n';
  const current: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
  const shares = [
    {
      kind: 'inline' as const,
      name: 'svc-dev-lambda',
      awsManaged: false,
      change: 'edit' as const,
      current,
      proposed: current,
      grantedActions: 1,
      keptActions: 1,
      removedActions: [],
    },
  ];
  const cases: Array<[string, string, RegExp]> = [
    ['an anchor', '  iamRoleStatements:\n    - &s3\n      Effect: Allow\n      Action: s3:GetObject\n      Resource: "*"\n', /an anchor on a statement/],
    [
      'an alias',
      '  runtime: &all "*"\n  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: *all\n',
      /an anchor or alias inside the statements/,
    ],
    ['a merge key', '  iamRoleStatements:\n    - <<: {Effect: Allow}\n      Action: s3:GetObject\n      Resource: "*"\n', /a merge key \(<<\)/],
    [
      '!If',
      '  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: !If [C, "*", !Ref AWS::NoValue]\n',
      /!If may stand for a list or nothing/,
    ],
    [
      'Fn::Split',
      '  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource:\n        Fn::Split: [",", x]\n',
      /Fn::Split may stand for a list or nothing/,
    ],
    ['a flow list', '  iamRoleStatements: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]\n', /a flow-style list/],
    ['a variable list', '  iamRoleStatements: ${file(iam.yml)}\n', /the statements come from a variable iamtrim cannot follow/],
    [
      'a variable Effect',
      '  iamRoleStatements:\n    - Effect: ${self:custom.effect}\n      Action: s3:GetObject\n      Resource: "*"\n',
      /Effect is not a literal "Allow" or "Deny"/,
    ],
    [
      'a custom provider role',
      '  role: arn:aws:iam::123456789012:role/x\n  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: "*"\n',
      /provider sets a role of its own, so the framework ignores provider.iamRoleStatements/,
    ],
  ];
  for (const [name, body, reason] of cases) {
    it(name, () => {
      expect(() => matchServerless('serverless.yml', head + body, undefined, 'svc-dev-us-east-1-lambdaRole', shares)).toThrow(reason);
    });
  }

  it('a function list is matched with iamRoleStatementsInherit when the provider has no statements to inherit', () => {
    const text = `${head}plugins:\n  - serverless-iam-roles-per-function\nfunctions:\n  a:\n    iamRoleStatementsInherit: true\n    iamRoleStatements:\n      - Effect: Allow\n        Action: s3:GetObject\n        Resource: "*"\n`;
    expect(matchServerless('serverless.yml', text, 'a', 'r', shares).read.included).toEqual([]);
    expect(matchServerless('serverless.yml', text.replace('    iamRoleStatementsInherit: true\n', ''), undefined, 'r', shares).list.resource).toBe(
      'functions.a',
    );
  });

  it('a ${...} in a Condition matches the literal IAM holds and is written back', () => {
    const text = `${head}  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action:\n            - s3:GetObject\n            - s3:PutObject\n          Resource: arn:aws:s3:::b/*\n          Condition:\n            StringEquals:\n              aws:SourceVpce: \${self:custom.vpce}\nfunctions: {}\n`;
    const condition = { StringEquals: { 'aws:SourceVpce': 'vpce-0abc' } };
    const iam: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/*', Condition: condition }],
    };
    const proposed: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: condition }],
    };
    const match = matchServerless('serverless.yml', text, undefined, 'r', [{ ...shares[0], current: iam, proposed } as PolicyShare]);
    const after = rewriteServerlessList('serverless.yml', text, match, proposed, match.expressions).content;
    expect(after).toContain('aws:SourceVpce: ${self:custom.vpce}');
    expect(after).not.toContain('vpce-0abc');
    expect(after).not.toContain('s3:PutObject');
    expect(after.endsWith('functions: {}\n')).toBe(true);
  });

  it("everything kept is the framework's own grant: the list becomes []", () => {
    const text = `${head}  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: "*"\n    # trailing comment\nfunctions: {}\n`;
    const logGroup = 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/svc-dev*:*';
    const iam: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      ],
    };
    const proposed: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: logGroup }] };
    const match = matchServerless('serverless.yml', text, undefined, 'r', [{ ...shares[0], current: iam, proposed } as PolicyShare]);
    expect(match.framework).toHaveLength(1);
    const after = rewriteServerlessList('serverless.yml', text, match, proposed, match.expressions).content;
    expect(after).toBe(`${head}  iamRoleStatements: []\n    # trailing comment\nfunctions: {}\n`);
  });
});

describe("iamRoleStatementsInherit: the provider statements are the function role's too", () => {
  const text = `service: svc
plugins:
  - serverless-iam-roles-per-function
provider:
  name: aws
  iamRoleStatements:
    - Effect: Allow
      Action: xray:PutTraceSegments
      Resource: "*"
functions:
  a:
    iamRoleStatementsInherit: true
    iamRoleStatements:
      - Effect: Allow
        Action:
          - s3:GetObject
          - s3:PutObject
        Resource: arn:aws:s3:::b/*
`;
  const xray: Statement = { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' };
  const s3: Statement = { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/*' };
  const logs: Statement = {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/svc-dev-a:*:*',
  };
  const current: PolicyDocument = { Version: '2012-10-17', Statement: [logs, xray, s3] };
  const share = (proposed: PolicyDocument): PolicyShare => ({
    kind: 'inline',
    name: 'svc-dev-lambda',
    awsManaged: false,
    change: 'edit',
    current,
    proposed,
    grantedActions: 4,
    keptActions: 2,
    removedActions: [],
  });

  it("matches the function list with the provider statements, writes only the function's part", () => {
    const proposed: PolicyDocument = { Version: '2012-10-17', Statement: [xray, { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };
    const match = matchServerless('serverless.yml', text, undefined, 'svc-dev-a-us-east-1-lambdaRole', [share(proposed)]);
    expect(match.list.resource).toBe('functions.a');
    const after = rewriteServerlessList('serverless.yml', text, match, proposed, match.expressions).content;
    expect(after).toBe(
      text.replace(
        '        Action:\n          - s3:GetObject\n          - s3:PutObject\n        Resource: arn:aws:s3:::b/*\n',
        '        Action:\n          - s3:GetObject\n        Resource:\n          - arn:aws:s3:::b/*\n',
      ),
    );
  });

  it("refuses a share that drops a provider statement (the default role's too), and an empty function list", () => {
    const withoutXray: PolicyDocument = { Version: '2012-10-17', Statement: [s3] };
    const match = matchServerless('serverless.yml', text, 'a', 'r', [share(withoutXray)]);
    expect(() => rewriteServerlessList('serverless.yml', text, match, withoutXray, match.expressions)).toThrow(
      /provider.iamRoleStatements\[0\] \(iamRoleStatementsInherit\) grants xray:PutTraceSegments on \*, which the share drops; the provider's list is the default role's too/,
    );
    const onlyXray: PolicyDocument = { Version: '2012-10-17', Statement: [xray] };
    expect(() => rewriteServerlessList('serverless.yml', text, match, onlyXray, match.expressions)).toThrow(
      /an empty list would make the per-function plugin give a the default role instead/,
    );
  });
});

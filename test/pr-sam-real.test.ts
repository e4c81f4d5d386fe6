/**
 * `pr` on real AWS SAM templates from public repositories (../shared/datasets/iac, SOURCE.md names
 * each). SAM makes each item of a function's `Policies` (an inline document, or a policy template)
 * an inline policy of the role it creates; `pr` matches the item that is the role's policy and
 * writes that policy's share over that item only. The policy as IAM has it is written here by hand
 * from the SAM policy template list (for templates) or evaluated by test/helpers/cloudformation.ts
 * (for inline documents), never by iamtrim. Checked: only the item's span changed, the file parses
 * as CloudFormation reads it, evaluating the new file gives exactly the proposal (intrinsics kept),
 * dropped actions are gone. A template iamtrim cannot parse is refused with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../src/model.js';
import { matchTemplatePolicy, rewriteTemplatePolicy } from '../src/pr/cloudformation-rewrite.js';
import { parseTemplate } from '../src/pr/template-policies.js';
import { ACCOUNT, at, dropActions, plain, resolveCfn, share, span } from './helpers/cloudformation.js';

const IAC = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'iac');
const present = existsSync(join(IAC, 'sam', 'shopping-cart-service.yaml'));
const why = present ? '' : ' (skipped: ../shared/datasets/iac is absent beside this checkout)';
const read = (file: string): string => readFileSync(join(IAC, 'sam', file), 'utf8');

// The stack the helper evaluates intrinsics in: eu-west-1, account 123456789012; `!Ref X` of a
// parameter or resource is `x` (lower case), so a table named by `!Ref JobTableName` is `jobtablename`.
const TABLE = (name: string): string => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`;

/** DynamoDBCrudPolicy as the SAM policy template list documents it. */
function dynamoDbCrud(table: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'dynamodb:Scan',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable',
          'dynamodb:ConditionCheckItem',
        ],
        Resource: [TABLE(table), `${TABLE(table)}/index/*`],
      },
    ],
  };
}

/** S3CrudPolicy as the SAM policy template list documents it. */
function s3Crud(bucket: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:ListBucket',
          's3:GetBucketLocation',
          's3:GetObjectVersion',
          's3:PutObject',
          's3:PutObjectAcl',
          's3:GetLifecycleConfiguration',
          's3:PutLifecycleConfiguration',
          's3:DeleteObject',
        ],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
    ],
  };
}

interface SamCase {
  file: string;
  path: Array<string | number>;
  /** The policy as IAM has it; default: the item itself, evaluated. */
  current?: PolicyDocument;
  /** The inline policy's name in IAM, where the document alone matches several items. */
  name?: string;
  drop: string[];
  /** Text the new span must hold: intrinsics as written back. */
  kept: string[];
}

const CASES: SamCase[] = [
  {
    file: 's3-find-and-forget-stream-processor.yaml',
    path: ['Resources', 'StreamProcessor', 'Properties', 'Policies', 1],
    current: dynamoDbCrud('deletionqueuetablename'),
    // Items 0 and 1 are both DynamoDBCrudPolicy on a `!Ref` table: the name SAM gives item 1 tells them apart.
    name: 'StreamProcessorRolePolicy1',
    drop: ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
    kept: ["!Sub ['arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}', {TableName: !Ref DeletionQueueTableName}]"],
  },
  {
    file: 's3-find-and-forget-stream-processor.yaml',
    path: ['Resources', 'StreamProcessor', 'Properties', 'Policies', 2],
    drop: ['states:DescribeStateMachine'],
    kept: ['Resource: !Ref StateMachineArn', '- !Sub "arn:${AWS::Partition}:glue:*:*:database/${GlueDatabase}"'],
  },
  {
    file: 'serverless-patterns-lambda-s3-sfn.yaml',
    path: ['Resources', 'SavePayloadAndStartStateMachineFunction', 'Properties', 'Policies', 0],
    current: s3Crud('uploadsbucket'),
    // ProcessFileFunction has the same item: the name SAM gives it (another role) tells them apart.
    name: 'SavePayloadAndStartStateMachineFunctionRolePolicy0',
    drop: ['s3:DeleteObject', 's3:PutLifecycleConfiguration', 's3:GetLifecycleConfiguration', 's3:PutObjectAcl'],
    kept: ["!Sub ['arn:${AWS::Partition}:s3:::${BucketName}/*', {BucketName: !Ref UploadsBucket}]"],
  },
  {
    file: 'athena-cloudera-hive.yaml',
    path: ['Resources', 'JdbcConnectorConfig', 'Properties', 'Policies', 4],
    current: s3Crud('spillbucket'),
    drop: ['s3:DeleteObject', 's3:PutObjectAcl'],
    kept: ['{BucketName: !Ref SpillBucket}'],
  },
  {
    file: 'ecommerce-platform-orders.yaml',
    path: ['Resources', 'CreateOrderFunction', 'Properties', 'Policies', 2],
    drop: [],
    kept: [],
  },
  {
    file: 's3-find-and-forget-state-machine.yaml',
    path: ['Resources', 'ExecuteQuery', 'Properties', 'Policies', 2],
    drop: [],
    kept: [],
  },
  {
    file: 'shopping-cart-service.yaml',
    path: ['Resources', 'DeleteFromCartFunction', 'Properties', 'Policies', 1],
    drop: [],
    kept: [],
  },
  {
    file: 'athena-dynamodb.yaml',
    path: ['Resources', 'FunctionExecutionPolicy', 'Properties', 'PolicyDocument'],
    drop: [],
    kept: [],
  },
];

describe('SAM templates from public repositories', () => {
  for (const c of CASES) {
    it.skipIf(!present)(`${c.file} ${c.path.slice(1).join('.')}: only that policy's span changes${why}`, () => {
      const before = read(c.file);
      const evaluated = c.current ?? (resolveCfn(at(plain(c.file, before), c.path)) as PolicyDocument);
      // `Version: 2012-10-17` unquoted (athena-dynamodb) is a date to YAML 1.1; CloudFormation sends IAM the string.
      const current = { ...evaluated, Version: '2012-10-17' };
      const proposed = dropActions(current, c.drop);
      const match = matchTemplatePolicy(c.file, before, undefined, [{ ...share(current, proposed), name: c.name ?? 'p' }]);
      expect(match.kind).toBe('matched');
      if (match.kind !== 'matched') return;
      const after = rewriteTemplatePolicy(c.file, before, match.read.target, proposed, match.expressions).content;
      const [start, end] = span(before, c.path);
      expect(after.slice(0, start)).toBe(before.slice(0, start));
      expect(after.endsWith(before.slice(end))).toBe(true);
      const written = after.slice(start, after.length - (before.length - end));
      for (const source of c.kept) expect(written).toContain(source);
      for (const action of c.drop) expect(written.toLowerCase().split(/[\s'"[\],]+/)).not.toContain(action.toLowerCase());
      expect(written).not.toContain(ACCOUNT);
      expect(resolveCfn(at(plain(c.file, after), c.path))).toEqual(proposed);
    });
  }

  it.skipIf(!present)(
    `s3-find-and-forget-stream-processor.yaml: both DynamoDBCrudPolicy items are the role's; --resource with SAM's policy name picks one${why}`,
    () => {
      const text = read('s3-find-and-forget-stream-processor.yaml');
      const jobs = { ...share(dynamoDbCrud('jobtablename'), dynamoDbCrud('jobtablename')), name: 'StreamProcessorRolePolicy0' };
      const queue = { ...share(dynamoDbCrud('deletionqueuetablename'), dynamoDbCrud('deletionqueuetablename')), name: 'StreamProcessorRolePolicy1' };
      const both = matchTemplatePolicy('template.yaml', text, undefined, [jobs, queue]);
      expect(both.kind === 'ambiguous' ? both.policies.map((p) => p.id) : both.kind).toEqual([
        'Resources.StreamProcessor.Properties.Policies[0]',
        'Resources.StreamProcessor.Properties.Policies[1]',
      ]);
      const picked = matchTemplatePolicy('template.yaml', text, 'StreamProcessor.StreamProcessorRolePolicy1', [jobs, queue]);
      expect(picked.kind === 'matched' ? [picked.policy.id, picked.share.name] : picked.kind).toEqual([
        'Resources.StreamProcessor.Properties.Policies[1]',
        'StreamProcessorRolePolicy1',
      ]);
    },
  );

  it.skipIf(!present)(`shopping-cart-service.yaml: an AWS::IAM::Policy listing two roles is refused (each role holds its own inline copy)${why}`, () => {
    const policies = parseTemplate('template.yaml', read('shopping-cart-service.yaml')).policies;
    const result = (id: string): unknown => policies.find((p) => p.logicalId === id)?.result;
    for (const id of ['LambdaLoggingPolicy', 'DynamoDBReadPolicy']) {
      expect(result(id)).toEqual({
        kind: 'refused',
        reason: 'it is an inline policy of 2 principals (!Ref ListCartRole, !Ref AddToCartRole); trimmed for one it would take from the others',
      });
    }
    expect((result('DynamoDBWritePolicy') as { kind: string }).kind).toBe('read');
  });

  it.skipIf(!present)(`lambda-power-tuning.yml: a flow mapping the yaml parser rejects is refused, naming the line${why}`, () => {
    expect(() => parseTemplate('template.yml', read('lambda-power-tuning.yml'))).toThrow(
      /--file template\.yml: not YAML iamtrim can read \(Flow map in block collection must be sufficiently indented and end with a \} at line 90, column 5/,
    );
  });

  it.skipIf(!present)(`athena-dynamodb.yaml: a function that sets Role has no Policies of its own to match${why}`, () => {
    const ids = parseTemplate('template.yaml', read('athena-dynamodb.yaml')).policies.map((p) => p.logicalId);
    expect(ids).toEqual(['FunctionExecutionPolicy', 'FunctionKMSPolicy']);
  });
});

/**
 * `pr` on real CloudFormation templates from public repositories (../shared/datasets/iac, SOURCE.md
 * names each). For each file one policy is taken as IAM has it (intrinsics evaluated for a made-up
 * stack by test/helpers/cloudformation.ts, not by iamtrim), matched, and rewritten for a role that
 * uses part of its grant. Checked: only the policy document's span changed, the file parses as
 * CloudFormation reads it (YAML 1.1 with its tags, or JSON), the intrinsics written back are the
 * file's own text, evaluating the new file gives exactly the proposed policy, and dropped actions
 * are gone. Templates iamtrim cannot edit safely are refused with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../src/model.js';
import { matchTemplatePolicy, rewriteTemplatePolicy } from '../src/pr/cloudformation-rewrite.js';
import { ACCOUNT, at, dropActions, plain, resolveCfn, share, span } from './helpers/cloudformation.js';

const IAC = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'iac');
const present = existsSync(join(IAC, 'cloudformation', 'widdix-ecs-cluster.yaml'));
const why = present ? '' : ' (skipped: ../shared/datasets/iac is absent beside this checkout)';

interface RealCase {
  file: string;
  /** Path to the PolicyDocument in the parsed template. */
  path: Array<string | number>;
  /** Actions the role did not use: removed from the proposal. */
  drop: string[];
  /** The file's own text of intrinsics the proposal keeps: must be in the new span as written. */
  kept: string[];
}

const CASES: RealCase[] = [
  {
    file: 'cloudformation/adf-bootstrap-global.yml',
    path: ['Resources', 'CodeCommitPolicy', 'Properties', 'PolicyDocument'],
    drop: ['codecommit:CancelUploadArchive', 'codecommit:UploadArchive', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    kept: ['!Sub arn:${AWS::Partition}:s3:::${DeploymentAccountBucketName}/*', '!Ref KMSArn'],
  },
  {
    file: 'cloudformation/aws-cfn-templates-adconnector.yaml',
    path: ['Resources', 'ADConnectorLambdaRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['logs:CreateLogGroup'],
    kept: ['!Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${ADConnectorLambdaLogsLogGroup}:log-stream:*'],
  },
  {
    file: 'cloudformation/aws-cfn-templates-codepipeline.yaml',
    path: ['Resources', 'PipelineRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['codecommit:UploadArchive', 'codecommit:GetUploadArchiveStatus'],
    // Written as a block mapping over two lines in the file: back as one line of flow YAML; the comment after the policy stays.
    kept: ['!ImportValue {"Fn::Sub": "${CodeBuildStack}-CodeCommitArn"}'],
  },
  {
    file: 'cloudformation/aws-cfn-templates-config.json',
    path: ['Resources', 'ConfigRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['config:Put*'],
    // Written over several lines in the file: back as one line of JSON.
    kept: ['"Resource": {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "ConfigBucket"}]]}'],
  },
  {
    file: 'cloudformation/aws-cfn-templates-ecs-schedule.json',
    path: ['Resources', 'ECSServiceRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['ec2:AuthorizeSecurityGroupIngress', 'elasticloadbalancing:RegisterTargets'],
    kept: [],
  },
  {
    file: 'cloudformation/aws-cfn-templates-neptune.yaml',
    path: ['Resources', 'NeptuneCloudWatchPolicy', 'Properties', 'PolicyDocument'],
    drop: ['logs:CreateLogGroup', 'logs:GetLogEvents'],
    kept: ['- !Sub arn:${AWS::Partition}:logs:*:*:log-group:/aws/neptune/*:log-stream:*'],
  },
  {
    file: 'cloudformation/aws-cfn-templates-s3-replication-source.json',
    path: ['Resources', 'ReplicationRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['s3:ReplicateDelete', 's3:ObjectOwnerOverrideToBucketOwner'],
    kept: [
      '{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}-${AccountIdDestination}-bucket/*"}',
      '"Resource": {"Fn::GetAtt": ["KmsKey", "Arn"]}',
      '"kms:RequestAlias": {"Fn::Sub": "alias/${AWS::StackName}-${AccountIdDestination}-kms-key"}',
    ],
  },
  {
    file: 'cloudformation/aws-cfn-templates-webapp.yaml',
    path: ['Resources', 'SiteContentReplicationPolicy', 'Properties', 'PolicyDocument'],
    drop: ['s3:ReplicateDelete', 's3:GetObjectVersionTagging'],
    kept: ['Resource: !Sub arn:${AWS::Partition}:s3:::${AppName}-content-replicas-${AWS::Region}-${AWS::AccountId}/*'],
  },
  {
    file: 'cloudformation/prowler-scan-role.yml',
    path: ['Resources', 'ProwlerScan', 'Properties', 'Policies', 2, 'Fn::If', 1, 'PolicyDocument'],
    drop: ['s3:DeleteObject'],
    kept: ['- !Sub "arn:${AWS::Partition}:s3:::${S3IntegrationBucketName}/*"', 's3:ResourceAccount: !Sub ${S3IntegrationBucketAccountId}'],
  },
  {
    file: 'cloudformation/widdix-ec2-al2-mutable-public.yaml',
    path: ['Resources', 'IAMPolicySSM', 'Properties', 'PolicyDocument'],
    drop: ['ssm:UpdateInstanceAssociationStatus'],
    kept: ["- !Sub 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:managed-instance-inventory/${VirtualMachine}'"],
  },
  {
    file: 'cloudformation/widdix-ecs-cluster.yaml',
    path: ['Resources', 'DrainInstanceLambdaRole', 'Properties', 'Policies', 0, 'PolicyDocument'],
    drop: ['sqs:SendMessage', 'ecs:listTasks'],
    kept: ["Resource: !GetAtt 'Cluster.Arn'", "ecs:cluster: !GetAtt 'Cluster.Arn'"],
  },
];

const read = (file: string): string => readFileSync(join(IAC, file), 'utf8');

describe('CloudFormation templates from public repositories', () => {
  for (const c of CASES) {
    it.skipIf(!present)(`${c.file} ${c.path.slice(1, -1).join('.')}: only the policy span changes, intrinsics survive${why}`, () => {
      const before = read(c.file);
      const current = resolveCfn(at(plain(c.file, before), c.path)) as PolicyDocument;
      const proposed = dropActions(current, c.drop);
      const match = matchTemplatePolicy(c.file, before, undefined, [share(current, proposed)]);
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
      // Evaluating the new file gives exactly the proposal: each intrinsic is back where its value is.
      expect(resolveCfn(at(plain(c.file, after), c.path))).toEqual(proposed);
      expect(after).not.toBe(before);
    });
  }
});

describe('CloudFormation templates iamtrim refuses, saying why', () => {
  const anything = share(
    { Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] },
    { Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }] },
  );

  it.skipIf(!present)(`karpenter-getting-started.yaml: every PolicyDocument is !Sub of JSON text${why}`, () => {
    const found = matchTemplatePolicy('karpenter.yaml', read('cloudformation/karpenter-getting-started.yaml'), undefined, [anything]);
    expect(found.kind).toBe('none');
    if (found.kind !== 'none') return;
    expect(found.refused.map((p) => p.logicalId)).toEqual([
      'NodeLifecyclePolicy',
      'IAMIntegrationPolicy',
      'EKSIntegrationPolicy',
      'InterruptionPolicy',
      'ZonalShiftPolicy',
      'ResourceDiscoveryPolicy',
    ]);
    for (const p of found.refused)
      expect(p.result).toEqual({ kind: 'refused', reason: 'the PolicyDocument is built with Fn::Sub (JSON text with substitutions), not written out' });
  });

  it.skipIf(!present)(`s3-find-and-forget-deletion-flow.yaml: a statement under !If [WithKMS, ..., !Ref AWS::NoValue]${why}`, () => {
    const text = read('cloudformation/s3-find-and-forget-deletion-flow.yaml');
    const found = matchTemplatePolicy('deletion-flow.yaml', text, 'DeleteTaskRole', [anything]);
    expect(found.kind).toBe('none');
    if (found.kind !== 'none') return;
    expect(found.refused.map((p) => p.result)).toEqual([
      { kind: 'refused', reason: 'statement 5 is built with Fn::If, which depends on Conditions iamtrim cannot follow' },
    ]);
  });

  it.skipIf(!present)(`widdix-ecs-cluster.yaml: a role none of whose policies is in the template is refused, the closest named${why}`, () => {
    const text = read('cloudformation/widdix-ecs-cluster.yaml');
    const found = matchTemplatePolicy('cluster.yaml', text, undefined, [anything]);
    expect(found.kind).toBe('none');
    if (found.kind !== 'none') return;
    expect(found.considered).toBe(13);
    expect(found.closest?.name).toBe('p');
  });

  it.skipIf(!present)(`aws-cfn-templates-neptune.yaml: a resource the proposal narrows is written as the literal ARN, the others stay intrinsics${why}`, () => {
    const file = 'cloudformation/aws-cfn-templates-neptune.yaml';
    const path = ['Resources', 'NeptuneCloudWatchPolicy', 'Properties', 'PolicyDocument'];
    const before = read(file);
    const current = resolveCfn(at(plain(file, before), path)) as PolicyDocument;
    const narrowed = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/neptune/orders';
    const proposed: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'EnableLogGroups', Effect: 'Allow', Action: 'logs:PutRetentionPolicy', Resource: narrowed },
        { Sid: 'EnableLogStreams', Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: (current.Statement[1]?.Resource as string[])[0] ?? '' },
      ],
    };
    const match = matchTemplatePolicy(file, before, undefined, [share(current, proposed)]);
    if (match.kind !== 'matched') throw new Error(match.kind);
    const after = rewriteTemplatePolicy(file, before, match.read.target, proposed, match.expressions).content;
    expect(after).toContain(`Resource: ${narrowed}`);
    expect(after).toContain('Resource: !Sub arn:${AWS::Partition}:logs:*:*:log-group:/aws/neptune/*:log-stream:*');
    expect(resolveCfn(at(plain(file, after), path))).toEqual(proposed);
  });
});

/**
 * AWS managed policies the demo account attaches, with their real documents (AWS-authored, copied
 * from `aws iam get-policy-version`), so that readers of iam.json see what AWS returns.
 * Older versions are kept because real accounts list them in `PolicyVersionList`.
 */
import type { JsonObject } from './call-spec.js';

/** One version of an AWS managed policy. */
export interface ManagedPolicyVersion {
  VersionId: string;
  CreateDate: string;
  IsDefaultVersion: boolean;
  Document: JsonObject;
}

/** An AWS managed policy: name, path and versions (newest first). */
export interface AwsManagedPolicy {
  name: string;
  path: string;
  policyId: string;
  createDate: string;
  versions: ManagedPolicyVersion[];
}

/** The AWS managed policies the demo roles attach. */
export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  {
    name: 'AmazonS3ReadOnlyAccess',
    path: '/',
    policyId: 'ANPAIZTJ4DXE7G6AGAE6M',
    createDate: '2015-02-06T18:40:59Z',
    versions: [
      {
        VersionId: 'v3',
        CreateDate: '2023-08-10T21:31:39Z',
        IsDefaultVersion: true,
        Document: {
          Version: '2012-10-17',
          Statement: [{ Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*', Effect: 'Allow' }],
        },
      },
      {
        VersionId: 'v2',
        CreateDate: '2021-09-27T20:16:37Z',
        IsDefaultVersion: false,
        Document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*' }],
        },
      },
      {
        VersionId: 'v1',
        CreateDate: '2015-02-06T18:40:59Z',
        IsDefaultVersion: false,
        Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }] },
      },
    ],
  },
  {
    name: 'AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJNCQGXC42545SKXIK',
    createDate: '2015-04-09T15:03:43Z',
    versions: [
      {
        VersionId: 'v1',
        CreateDate: '2015-04-09T15:03:43Z',
        IsDefaultVersion: true,
        Document: {
          Version: '2012-10-17',
          Statement: [{ Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*', Effect: 'Allow' }],
        },
      },
    ],
  },
  {
    name: 'AmazonECSServiceRolePolicy',
    path: '/aws-service-role/',
    policyId: 'ANPAIVUWKCAI7URU4WUEI',
    createDate: '2017-10-14T01:18:58Z',
    versions: [
      {
        VersionId: 'v11',
        CreateDate: '2023-12-04T19:32:25Z',
        IsDefaultVersion: true,
        Document: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: [
                'ec2:AttachNetworkInterface',
                'ec2:CreateNetworkInterface',
                'ec2:CreateNetworkInterfacePermission',
                'ec2:DeleteNetworkInterface',
                'ec2:DeleteNetworkInterfacePermission',
                'ec2:Describe*',
                'ec2:DetachNetworkInterface',
                'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
                'elasticloadbalancing:DeregisterTargets',
                'elasticloadbalancing:Describe*',
                'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
                'elasticloadbalancing:RegisterTargets',
                'route53:ChangeResourceRecordSets',
                'route53:CreateHealthCheck',
                'route53:DeleteHealthCheck',
                'route53:Get*',
                'route53:List*',
                'route53:UpdateHealthCheck',
                'servicediscovery:DeregisterInstance',
                'servicediscovery:Get*',
                'servicediscovery:List*',
                'servicediscovery:RegisterInstance',
                'servicediscovery:UpdateInstanceCustomHealthStatus',
              ],
              Resource: '*',
              Effect: 'Allow',
              Sid: 'ECSTaskManagement',
            },
            { Action: ['autoscaling:Describe*'], Resource: '*', Effect: 'Allow', Sid: 'AutoScaling' },
            {
              Action: [
                'autoscaling:DeletePolicy',
                'autoscaling:PutScalingPolicy',
                'autoscaling:SetInstanceProtection',
                'autoscaling:UpdateAutoScalingGroup',
                'autoscaling:PutLifecycleHook',
                'autoscaling:DeleteLifecycleHook',
                'autoscaling:CompleteLifecycleAction',
                'autoscaling:RecordLifecycleActionHeartbeat',
              ],
              Resource: '*',
              Effect: 'Allow',
              Condition: { Null: { 'autoscaling:ResourceTag/AmazonECSManaged': 'false' } },
              Sid: 'AutoScalingManagement',
            },
            {
              Action: [
                'autoscaling-plans:CreateScalingPlan',
                'autoscaling-plans:DeleteScalingPlan',
                'autoscaling-plans:DescribeScalingPlans',
                'autoscaling-plans:DescribeScalingPlanResources',
              ],
              Resource: '*',
              Effect: 'Allow',
              Sid: 'AutoScalingPlanManagement',
            },
            {
              Action: ['events:DescribeRule', 'events:ListTargetsByRule'],
              Resource: 'arn:aws:events:*:*:rule/ecs-managed-*',
              Effect: 'Allow',
              Sid: 'EventBridge',
            },
            {
              Action: ['events:PutRule', 'events:PutTargets'],
              Resource: '*',
              Effect: 'Allow',
              Condition: { StringEquals: { 'events:ManagedBy': 'ecs.amazonaws.com' } },
              Sid: 'EventBridgeRuleManagement',
            },
            {
              Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'],
              Resource: 'arn:aws:cloudwatch:*:*:alarm:*',
              Effect: 'Allow',
              Sid: 'CWAlarmManagement',
            },
            { Action: ['ec2:CreateTags'], Resource: 'arn:aws:ec2:*:*:network-interface/*', Effect: 'Allow', Sid: 'ECSTagging' },
            {
              Action: ['logs:CreateLogGroup', 'logs:DescribeLogGroups', 'logs:PutRetentionPolicy'],
              Resource: 'arn:aws:logs:*:*:log-group:/aws/ecs/*',
              Effect: 'Allow',
              Sid: 'CWLogGroupManagement',
            },
            {
              Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
              Resource: 'arn:aws:logs:*:*:log-group:/aws/ecs/*:log-stream:*',
              Effect: 'Allow',
              Sid: 'CWLogStreamManagement',
            },
            { Action: ['ssm:DescribeSessions'], Resource: '*', Effect: 'Allow', Sid: 'ExecuteCommandSessionManagement' },
            {
              Action: ['ssm:StartSession'],
              Resource: ['arn:aws:ecs:*:*:task/*', 'arn:aws:ssm:*:*:document/AmazonECS-ExecuteInteractiveCommand'],
              Effect: 'Allow',
              Sid: 'ExecuteCommand',
            },
            {
              Action: ['servicediscovery:CreateHttpNamespace', 'servicediscovery:CreateService'],
              Resource: '*',
              Effect: 'Allow',
              Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['AmazonECSManaged'] } },
              Sid: 'CloudMapResourceCreation',
            },
            {
              Action: 'servicediscovery:TagResource',
              Resource: '*',
              Effect: 'Allow',
              Condition: { StringLike: { 'aws:RequestTag/AmazonECSManaged': '*' } },
              Sid: 'CloudMapResourceTagging',
            },
            {
              Action: ['servicediscovery:DeleteService'],
              Resource: '*',
              Effect: 'Allow',
              Condition: { Null: { 'aws:ResourceTag/AmazonECSManaged': 'false' } },
              Sid: 'CloudMapResourceDeletion',
            },
            {
              Action: ['servicediscovery:DiscoverInstances', 'servicediscovery:DiscoverInstancesRevision'],
              Resource: '*',
              Effect: 'Allow',
              Sid: 'CloudMapResourceDiscovery',
            },
          ],
        },
      },
    ],
  },
];

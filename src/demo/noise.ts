/**
 * Records that belong to no demo role but sit in the same files, as in a real trail: console
 * sign-ins, an IAM user browsing the console, service events, and STS AssumeRole records whose
 * caller is an AWS service (the role appears only in requestParameters and resources).
 */
import { GLOBAL_REGION, HOME_REGION } from './call-builders.js';
import type { JsonObject } from './call-spec.js';
import type { Prng } from './prng.js';
import { isoSeconds, type DemoRoleIdentity } from './record.js';

const ALICE_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const ALICE_IP = '81.2.69.142';
const TLS = (host: string): JsonObject => ({ tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host });

/** The trust principal that assumes each named role, or none for roles nobody assumes in the window. */
const SERVICE_PRINCIPAL: Readonly<Record<string, string>> = {
  'app-api': 'lambda.amazonaws.com',
  'queue-worker': 'ecs-tasks.amazonaws.com',
  'data-pipeline': 'ec2.amazonaws.com',
};

function alice(account: string): JsonObject {
  return {
    type: 'IAMUser',
    principalId: 'AIDAZ3KQ7PLM2XNDE5QRT',
    arn: `arn:aws:iam::${account}:user/alice`,
    accountId: account,
    accessKeyId: 'ASIAZ3KQ7PLMEXAMPLE1',
    userName: 'alice',
    sessionContext: { attributes: { creationDate: '2024-01-01T00:00:00Z', mfaAuthenticated: 'true' } },
  };
}

const CONSOLE_READS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['iam.amazonaws.com', 'ListRoles', true],
  ['iam.amazonaws.com', 'GetRole', true],
  ['s3.amazonaws.com', 'ListBuckets', false],
  ['ec2.amazonaws.com', 'DescribeInstances', false],
  ['monitoring.amazonaws.com', 'DescribeAlarms', false],
  ['lambda.amazonaws.com', 'ListFunctions20150331', false],
  ['cloudtrail.amazonaws.com', 'LookupEvents', false],
];

/** One noise record at `time`; `roles` are the named roles whose AssumeRole events appear. */
export function buildNoiseRecord(rng: Prng, time: number, account: string, roles: readonly DemoRoleIdentity[]): { record: JsonObject; region: string } {
  const eventTime = isoSeconds(time);
  const roll = rng.next();
  const common = () => ({ requestID: rng.uuid(), eventID: rng.uuid() });
  if (roll < 0.45) {
    const assumable = roles.filter((r) => SERVICE_PRINCIPAL[r.spec.name] !== undefined);
    const role = rng.pick(assumable);
    const principal = SERVICE_PRINCIPAL[role.spec.name] ?? 'lambda.amazonaws.com';
    const sessionName = role.spec.kind === 'lambda' ? rng.pick(role.spec.sessionNames) : rng.hex(32);
    const record: JsonObject = {
      eventVersion: '1.08',
      userIdentity: { type: 'AWSService', invokedBy: principal },
      eventTime,
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      awsRegion: GLOBAL_REGION,
      sourceIPAddress: principal,
      userAgent: principal,
      requestParameters: { roleArn: role.arn, roleSessionName: sessionName },
      responseElements: {
        credentials: { accessKeyId: `ASIA${rng.upperAlnum(16)}`, sessionToken: 'HIDDEN_DUE_TO_SECURITY_REASONS', expiration: isoSeconds(time + 43200) },
        assumedRoleUser: { assumedRoleId: `${role.roleId}:${sessionName}`, arn: `arn:aws:sts::${account}:assumed-role/${role.spec.name}/${sessionName}` },
      },
      ...common(),
      readOnly: true,
      resources: [{ accountId: account, type: 'AWS::IAM::Role', ARN: role.arn }],
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      sharedEventID: rng.uuid(),
      eventCategory: 'Management',
    };
    return { record, region: GLOBAL_REGION };
  }
  if (roll < 0.8) {
    const [source, name, global] = rng.pick(CONSOLE_READS);
    const region = global ? GLOBAL_REGION : HOME_REGION;
    const service = source.slice(0, source.indexOf('.'));
    const record: JsonObject = {
      eventVersion: '1.09',
      userIdentity: alice(account),
      eventTime,
      eventSource: source,
      eventName: name,
      awsRegion: region,
      sourceIPAddress: ALICE_IP,
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      ...common(),
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
      tlsDetails: TLS(global ? `${service}.amazonaws.com` : `${service}.${region}.amazonaws.com`),
      sessionCredentialFromConsole: 'true',
    };
    return { record, region };
  }
  if (roll < 0.9) {
    const record: JsonObject = {
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', principalId: 'AIDAZ3KQ7PLM2XNDE5QRT', arn: `arn:aws:iam::${account}:user/alice`, accountId: account, userName: 'alice' },
      eventTime,
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: GLOBAL_REGION,
      sourceIPAddress: ALICE_IP,
      userAgent: ALICE_UA,
      requestParameters: null,
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: 'No',
        MFAIdentifier: `arn:aws:iam::${account}:mfa/alice`,
        MFAUsed: 'Yes',
      },
      eventID: rng.uuid(),
      readOnly: false,
      eventType: 'AwsConsoleSignIn',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
      tlsDetails: TLS('signin.aws.amazon.com'),
    };
    return { record, region: GLOBAL_REGION };
  }
  const keyArn = `arn:aws:kms:${HOME_REGION}:${account}:key/0f3c2a5e-7b1d-4c8e-9a62-5d4e3f2a1b0c`;
  const record: JsonObject = {
    eventVersion: '1.10',
    userIdentity: { accountId: account, invokedBy: 'kms.amazonaws.com' },
    eventTime,
    eventSource: 'kms.amazonaws.com',
    eventName: 'RotateKey',
    awsRegion: HOME_REGION,
    sourceIPAddress: 'kms.amazonaws.com',
    userAgent: 'kms.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    additionalEventData: { keyId: keyArn },
    eventID: rng.uuid(),
    readOnly: false,
    resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
  return { record, region: HOME_REGION };
}

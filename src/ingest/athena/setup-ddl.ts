/**
 * The CloudTrail table for Athena, with partition projection on account, Region and delivery
 * day, so queries prune by predicate and nobody runs ALTER TABLE ADD PARTITION. Hive JSON SerDe
 * with the CloudTrail input format (AWS's current DDL), columns as in AWS's documentation.
 * Single-account trails project `account` as a one-value enum; organization trails inject it
 * (every query must name its accounts, which the usage query does from the role ARNs).
 */
import { UsageError } from '../../errors.js';
import regionTable from './data/regions.json' with { type: 'json' };
import { checkIdentifier, type AthenaTableRef } from './athena-query.js';

export const DEFAULT_REGIONS: readonly string[] = regionTable.regions.map((r) => r.name);

/** What the DDL needs to know about the trail. */
export interface TrailLayout {
  bucket: string;
  /** S3 key prefix of the trail, without slashes at either end; '' for none. */
  prefix: string;
  /** The trail owner's account (single-account layout). */
  accountId: string;
  /** Set for an organization trail: logs live under AWSLogs/<organizationId>/<account>/. */
  organizationId?: string;
  regions: readonly string[];
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*()/-]*$/;
const ORG = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const COLUMNS = `  eventversion STRING,
  useridentity STRUCT<
    type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
    accesskeyid: STRING, username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  readonly STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  managementevent STRING,
  addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>`;

function checkLayout(layout: TrailLayout): void {
  if (!BUCKET.test(layout.bucket)) throw new UsageError(`trail bucket ${layout.bucket}: not an S3 bucket name`);
  if (!PREFIX.test(layout.prefix)) throw new UsageError(`trail prefix ${layout.prefix}: unsupported characters for a table location`);
  if (!/^\d{12}$/.test(layout.accountId)) throw new UsageError(`account ${layout.accountId}: not a 12-digit account ID`);
  if (layout.organizationId !== undefined && !ORG.test(layout.organizationId)) {
    throw new UsageError(`--organization-id ${layout.organizationId}: not an organization ID`, {
      hint: 'it looks like o-a1b2c3d4e5; see `aws organizations describe-organization`',
    });
  }
  if (layout.regions.length === 0) throw new UsageError('no Regions for the table', { hint: 'pass --regions us-east-1,eu-west-1' });
  for (const r of layout.regions) if (!REGION.test(r)) throw new UsageError(`--regions ${r}: not an AWS Region name`);
}

/** `s3://bucket/prefix/AWSLogs/[org/]` */
function logsRoot(layout: TrailLayout): string {
  const prefix = layout.prefix.replace(/^\/+|\/+$/g, '');
  return `s3://${layout.bucket}/${prefix === '' ? '' : `${prefix}/`}AWSLogs/${layout.organizationId !== undefined ? `${layout.organizationId}/` : ''}`;
}

/** CREATE DATABASE, for a first run. */
export function createDatabaseDdl(names: AthenaTableRef): string {
  return `CREATE DATABASE IF NOT EXISTS \`${checkIdentifier('--database', names.database)}\``;
}

/** The CREATE EXTERNAL TABLE statement for a trail's layout. */
export function createTableDdl(names: AthenaTableRef, layout: TrailLayout): string {
  checkLayout(layout);
  const database = checkIdentifier('--database', names.database);
  const table = checkIdentifier('--table', names.table);
  const root = logsRoot(layout);
  const org = layout.organizationId !== undefined;
  const regions = [...new Set([...layout.regions, 'us-east-1'])].sort();
  const account = org
    ? [`  'projection.account.type'='injected',`]
    : [`  'projection.account.type'='enum',`, `  'projection.account.values'='${layout.accountId}',`];
  return `CREATE EXTERNAL TABLE IF NOT EXISTS \`${database}\`.\`${table}\` (
${COLUMNS}
)
COMMENT 'CloudTrail ${org ? `organization ${layout.organizationId ?? ''}` : `account ${layout.accountId}`}, created by iamtrim athena setup'
PARTITIONED BY (account STRING, region STRING, day STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${org ? root : `${root}${layout.accountId}/CloudTrail/`}'
TBLPROPERTIES (
  'projection.enabled'='true',
${account.join('\n')}
  'projection.region.type'='enum',
  'projection.region.values'='${regions.join(',')}',
  'projection.day.type'='date',
  'projection.day.format'='yyyy/MM/dd',
  'projection.day.range'='NOW-5YEARS,NOW',
  'projection.day.interval'='1',
  'projection.day.interval.unit'='DAYS',
  'storage.location.template'='${root}\${account}/CloudTrail/\${region}/\${day}'
)`;
}

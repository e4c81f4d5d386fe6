/**
 * Reads a trail's delivery layout (bucket, prefix, organization trail, Regions) with GetTrail,
 * which accepts a trail name or ARN, for `iamtrim athena setup`.
 */
import { CloudTrailClient, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { callAws } from '../../aws/errors.js';
import { UpstreamError, UsageError } from '../../errors.js';
import { DEFAULT_REGIONS, type TrailLayout } from './setup-ddl.js';

export interface TrailChoices {
  /** Needed for organization trails: the S3 path holds it, GetTrail does not. */
  organizationId?: string;
  /** Override the Region list (default: the home Region, or every Region for a multi-Region trail). */
  regions?: readonly string[];
}

/** The layout of a trail, read live. */
export async function readTrailLayout(client: CloudTrailClient, trail: string, choices: TrailChoices): Promise<TrailLayout & { isOrganizationTrail: boolean }> {
  const got = await callAws('cloudtrail:GetTrail', () => client.send(new GetTrailCommand({ Name: trail }))).catch((error: unknown) => {
    if (error instanceof UpstreamError && /TrailNotFound/.test(error.message)) {
      throw new UsageError(`--trail ${trail}: no such trail in this account and Region`, {
        hint: "list trails with `aws cloudtrail describe-trails`; pass the ARN and --region of the trail's home Region",
      });
    }
    throw error;
  });
  const t = got.Trail;
  if (t?.S3BucketName === undefined || t.TrailARN === undefined) throw new UpstreamError(`cloudtrail:GetTrail ${trail}: no bucket in the answer`);
  const accountId = t.TrailARN.split(':')[4] ?? '';
  const org = t.IsOrganizationTrail === true;
  if (org && choices.organizationId === undefined) {
    throw new UsageError(`--trail ${trail} is an organization trail: pass --organization-id o-...`, {
      hint: 'its logs live under AWSLogs/<organization-id>/; see `aws organizations describe-organization`',
    });
  }
  const regions = choices.regions ?? (t.IsMultiRegionTrail === true ? DEFAULT_REGIONS : [t.HomeRegion ?? 'us-east-1']);
  return {
    bucket: t.S3BucketName,
    prefix: t.S3KeyPrefix ?? '',
    accountId,
    ...(org && choices.organizationId !== undefined ? { organizationId: choices.organizationId } : {}),
    regions,
    isOrganizationTrail: org,
  };
}

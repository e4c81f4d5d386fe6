/**
 * The trail's event selectors from the CloudTrail API (`--trail NAME|ARN`): GetTrail names the trail
 * (its ARN, and a clear error when it does not exist), GetEventSelectors returns the same shape the
 * AWS CLI prints, read by `parseTrailConfig`.
 */
import { CloudTrailClient, GetEventSelectorsCommand, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { InputError, UpstreamError } from '../errors.js';
import { parseTrailConfig, type TrailSelection } from './trail-selectors.js';
import { callAws } from '../aws/errors.js';

export async function readLiveTrailSelection(client: CloudTrailClient, trail: string): Promise<TrailSelection> {
  const got = await callAws('cloudtrail:GetTrail', () => client.send(new GetTrailCommand({ Name: trail }))).catch((error: unknown) => {
    if (error instanceof UpstreamError && /TrailNotFound/.test(error.message)) {
      throw new InputError(`--trail ${trail}: no such trail in this account and region`, {
        hint: 'aws cloudtrail describe-trails lists them; pass its name or ARN, with --region its home region',
      });
    }
    throw error;
  });
  const arn = got.Trail?.TrailARN ?? trail;
  const selectors = await callAws('cloudtrail:GetEventSelectors', () => client.send(new GetEventSelectorsCommand({ TrailName: arn })));
  const selection = parseTrailConfig(
    { TrailARN: selectors.TrailARN ?? arn, EventSelectors: selectors.EventSelectors ?? [], AdvancedEventSelectors: selectors.AdvancedEventSelectors ?? [] },
    `GetEventSelectors ${trail}`,
  );
  return { ...selection, trail: selectors.TrailARN ?? arn };
}

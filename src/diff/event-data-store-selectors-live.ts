/**
 * A CloudTrail Lake event data store's own selectors (`--lake ID|ARN`): GetEventDataStore returns
 * its AdvancedEventSelectors (the same shape as a trail's; by default management events only),
 * MultiRegionEnabled and OrganizationEnabled, read by `parseTrailConfig` like get-event-data-store
 * output. When the call is denied the selectors are unknown, never guessed: the selection says so
 * and every data-event permission is kept.
 */
import { CloudTrailClient, GetEventDataStoreCommand } from '@aws-sdk/client-cloudtrail';
import { callAws } from '../aws/errors.js';
import { InputError, UpstreamError } from '../errors.js';
import { parseTrailConfig, type TrailSelection } from './trail-selectors.js';

const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized/;

export async function readLiveEventDataStoreSelection(client: CloudTrailClient, eventDataStore: string): Promise<TrailSelection> {
  const source = `GetEventDataStore ${eventDataStore}`;
  const got = await callAws('cloudtrail:GetEventDataStore', () => client.send(new GetEventDataStoreCommand({ EventDataStore: eventDataStore }))).catch(
    (error: unknown) => {
      if (error instanceof UpstreamError && DENIED.test(error.message)) return undefined;
      if (error instanceof UpstreamError && /EventDataStoreNotFound/.test(error.message)) {
        throw new InputError(`--lake ${eventDataStore}: no such event data store in this account and region`, {
          hint: 'aws cloudtrail list-event-data-stores lists them; pass its ID or ARN, with --region its home region',
        });
      }
      throw error;
    },
  );
  if (got === undefined) {
    return { source, trail: eventDataStore.startsWith('arn:') ? eventDataStore : null, owner: 'event-data-store', basic: [], advanced: [], unknown: true };
  }
  return parseTrailConfig(
    {
      EventDataStoreArn: got.EventDataStoreArn ?? eventDataStore,
      AdvancedEventSelectors: got.AdvancedEventSelectors ?? [],
      ...(got.MultiRegionEnabled !== undefined ? { MultiRegionEnabled: got.MultiRegionEnabled } : {}),
      ...(got.OrganizationEnabled !== undefined ? { OrganizationEnabled: got.OrganizationEnabled } : {}),
    },
    source,
  );
}

/**
 * The mapping tables: JSON data validated once at load. A table that fails validation is a bug in
 * this repository, so loading throws rather than returning a diagnostic.
 */
import { z } from 'zod';
import servicePrefixesJson from './data/service-prefixes.json' with { type: 'json' };
import eventActionsJson from './data/event-actions.json' with { type: 'json' };
import versionSuffixesJson from './data/version-suffixes.json' with { type: 'json' };
import ignoredEventsJson from './data/ignored-events.json' with { type: 'json' };
import errorCodesJson from './data/error-codes.json' with { type: 'json' };
import resourceBuildersJson from './data/resource-builders.json' with { type: 'json' };
import passRoleJson from './data/pass-role.json' with { type: 'json' };
import namePrefixActionsJson from './data/name-prefix-actions.json' with { type: 'json' };
import unmappedRatchetJson from './data/unmapped-ratchet.json' with { type: 'json' };

const host = z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, 'an eventSource host like s3.amazonaws.com');
const actionId = z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*-]+$/, 'service:Action');
const reason = z.string().min(8);
const source = z.string().min(4).optional();

const servicePrefixRow = z.strictObject({ eventSource: host, prefix: z.string().regex(/^[a-z0-9-]+$/), reason, source });

const permissionSpec = z.strictObject({
  action: actionId,
  /** Builder parameter name -> the parameter whose value it takes for this permission only. */
  bind: z.record(z.string(), z.string()).optional(),
  /** `params`: ignore `resources[]`, which mixes source and destination (CopyObject, ReEncrypt). */
  resourcesFrom: z.enum(['params']).optional(),
  /**
   * Emit this permission only when the call has this (possibly derived) parameter: the per-item
   * actions of a transaction (`dynamodb:PutItem` only when an item is a Put).
   */
  onlyWith: z.string().min(1).optional(),
  /**
   * The action's resource types are alternatives, one per way of addressing the call (Bedrock
   * InvokeModel: a foundation model, an inference profile, a provisioned model...), although the
   * Service Authorization Reference marks each required: one derived type is enough.
   */
  anyResourceType: z.literal(true).optional(),
  /**
   * Leave out of `resources[]` the ARN this parameter names (its value, or an ARN ending in
   * `/value`), when another ARN remains: KMS ReEncrypt lists the source and the destination key,
   * and kms:ReEncryptFrom is checked on the source only. An alias matches nothing, so both stay.
   */
  exceptParam: z.string().min(1).optional(),
  /**
   * A derived parameter naming resource types of the action: the permission is needed on each of
   * them, and on no other type (tag-on-create: `ec2:CreateTags` on the types the request's tag
   * specifications tag). A type the action does not have, or none, gives `*` with a warning.
   */
  resourceTypesFrom: z.string().min(1).optional(),
  /** The same, with the types written in the row (ECS tag-on-create: `ecs:TagResource` on the `cluster` CreateCluster makes). */
  resourceTypes: z.array(z.string().min(1)).min(1).optional(),
});

const eventActionRow = z.strictObject({
  eventSource: host,
  eventName: z.string().min(1),
  /** The row applies only when every named parameter is present on the call. */
  whenParams: z.array(z.string()).min(1).optional(),
  permissions: z.array(permissionSpec).min(1),
  reason,
  source,
});

const namePrefixActionRow = z.strictObject({
  eventSource: host,
  namePrefix: z.string().regex(/^[A-Z][A-Za-z]*$/),
  action: actionId,
  reason,
  source,
});

const versionSuffixRow = z.strictObject({
  eventSource: host,
  /** A regular expression anchored at the end of the eventName; stripped only if the rest is an action. */
  suffix: z.string().min(1),
  examples: z.array(z.string()).min(1),
  reason,
  source,
});

const ignoredEventRow = z.strictObject({
  eventSource: host,
  /** `*` ignores every event of the source. */
  eventName: z.string().min(1),
  kind: z.enum(['permissionless', 'not-an-api-call']),
  reason,
  source,
});

/** A CloudTrail eventType and whether its records count as calls by their principal (src/ingest/reference.ts). */
const eventTypeRow = z.strictObject({ eventType: z.string().min(1), counts: z.boolean(), reason, source });

const errorCodeRow = z.strictObject({
  /** Exact code, or a glob with `*` matched case-sensitively against the whole code. */
  pattern: z.string().min(1),
  outcome: z.enum(['authorized', 'denied', 'failed']),
  reason,
  source,
  examples: z.array(z.string()).optional(),
});

const resourceBuilderRow = z.strictObject({
  /** IAM service prefix of the resource type (the prefix of the action that needs it). */
  service: z.string().regex(/^[a-z0-9-]+$/),
  resourceType: z.string().min(1),
  /** `${Partition}`, `${Region}`, `${Account}` and request/derived parameter names. */
  template: z.string().regex(/^(arn:|\$\{)/),
  /** The row applies only to calls with these eventNames (API Gateway: the path depends on the operation). */
  eventNames: z.array(z.string().min(1)).min(1).optional(),
  reason,
  source,
});

const passRoleRow = z.strictObject({
  eventSource: host,
  eventName: z.string().min(1),
  /** The request parameter that carries the passed role. */
  param: z.string().min(1),
  /** `role`: a role ARN or name; `instance-profile`: an instance profile (its role from the IAM snapshot). */
  carries: z.enum(['role', 'instance-profile']),
  /** For a JSON-list parameter: the member of each item that carries the role (EventBridge targets' `roleArn`). */
  member: z.string().min(1).optional(),
  reason,
  source,
});

const ratchetRow = z.strictObject({ eventSource: host, eventName: z.string().min(1), reason });

const tablesSchema = z.strictObject({
  servicePrefixes: z.array(servicePrefixRow),
  eventActions: z.array(eventActionRow),
  namePrefixActions: z.array(namePrefixActionRow),
  versionSuffixes: z.array(versionSuffixRow),
  ignoredEvents: z.array(ignoredEventRow),
  eventTypes: z.array(eventTypeRow),
  errorCodes: z.array(errorCodeRow),
  resourceBuilders: z.array(resourceBuilderRow),
  passRole: z.array(passRoleRow),
  unmappedRatchet: z.array(ratchetRow),
});

export type MappingTables = z.infer<typeof tablesSchema>;
export type EventActionRow = z.infer<typeof eventActionRow>;
export type PermissionSpec = z.infer<typeof permissionSpec>;
export type ResourceBuilderRow = z.infer<typeof resourceBuilderRow>;
export type ErrorCodeRow = z.infer<typeof errorCodeRow>;
export type PassRoleRow = z.infer<typeof passRoleRow>;

/** Validates raw table data; throws with the failing path on a malformed table. */
export function parseTables(raw: unknown): MappingTables {
  const result = tablesSchema.safeParse(raw);
  if (!result.success) throw new Error(`mapping tables are invalid: ${z.prettifyError(result.error)}`);
  return result.data;
}

let loaded: MappingTables | undefined;

/** The shipped tables, validated on first use. */
export function mappingTables(): MappingTables {
  loaded ??= parseTables({
    servicePrefixes: servicePrefixesJson.rows,
    eventActions: eventActionsJson.rows,
    namePrefixActions: namePrefixActionsJson.rows,
    versionSuffixes: versionSuffixesJson.rows,
    ignoredEvents: ignoredEventsJson.rows,
    eventTypes: ignoredEventsJson.eventTypes,
    errorCodes: errorCodesJson.rows,
    resourceBuilders: resourceBuildersJson.rows,
    passRole: passRoleJson.rows,
    unmappedRatchet: unmappedRatchetJson.rows,
  });
  return loaded;
}

/**
 * What kind of role a role is (Lambda execution role, ECS task, EC2 instance, CI/deploy,
 * service-linked, cross-account, other service role), from its trust policy and the table in
 * `data/role-kinds.json`, so the drift report's advice fits the role (D6) and a retirement names
 * what else to check. A role whose trust policy is unknown is `unknown` and gets generic advice.
 */
import { z } from 'zod';
import { asList } from '../iam/expand.js';
import type { RoleGrant } from '../model.js';
import table from './data/role-kinds.json' with { type: 'json' };

const rowSchema = z.strictObject({
  kind: z.enum(['service-linked', 'lambda', 'ecs-task', 'ec2-instance-profile', 'ci-deploy', 'cross-account', 'service']),
  label: z.string(),
  match: z.strictObject({
    serviceLinked: z.literal(true).optional(),
    service: z.string().optional(),
    federated: z.string().optional(),
    otherAccount: z.literal(true).optional(),
  }),
  advice: z.string().min(10),
  retire: z.string().min(10),
  reason: z.string().min(10),
  source: z.string().url(),
});
const ROWS = z.strictObject({ $comment: z.string(), rows: z.array(rowSchema) }).parse(table).rows;

export type RoleKindId = z.infer<typeof rowSchema>['kind'] | 'unknown';

export interface RoleKind {
  kind: RoleKindId;
  label: string;
  advice: string;
  retire: string;
}

const UNKNOWN: RoleKind = {
  kind: 'unknown',
  label: 'role',
  advice: 'scope it to the calls it makes: iamtrim minimize --role <role>',
  retire: 'check who assumes it (its trust policy) before deleting it',
};

/** The principals of the trust policy's Allow statements, by type. */
function principals(grant: RoleGrant): { service: string[]; federated: string[]; aws: string[] } {
  const out = { service: [] as string[], federated: [] as string[], aws: [] as string[] };
  for (const s of grant.trust?.Statement ?? []) {
    if (s.Effect !== 'Allow' || typeof s.Principal !== 'object' || s.Principal === null) continue;
    const p = s.Principal as Record<string, string | string[] | undefined>;
    out.service.push(...asList(p['Service']));
    out.federated.push(...asList(p['Federated']));
    out.aws.push(...asList(p['AWS']));
  }
  return out;
}

export function roleKind(grant: RoleGrant): RoleKind {
  const p = principals(grant);
  const otherAccount = p.aws.some((a) => {
    const account = /^\d{12}$/.test(a) ? a : /^arn:[^:]+:iam::(\d{12}):/.exec(a)?.[1];
    return account !== undefined && account !== grant.accountId;
  });
  for (const row of ROWS) {
    const m = row.match;
    const hit =
      (m.serviceLinked === true && grant.serviceLinked) ||
      (m.service !== undefined && (m.service === '*' ? p.service.length > 0 : p.service.includes(m.service))) ||
      (m.federated !== undefined && p.federated.some((f) => f.includes(m.federated ?? ''))) ||
      (m.otherAccount === true && otherAccount);
    if (hit) return { kind: row.kind, label: row.label, advice: row.advice, retire: row.retire };
  }
  return UNKNOWN;
}

/**
 * The independent evaluator for tests: `@cloud-copilot/iam-simulate` (AGPL, dev-only, never
 * imported from src/). `probeFor` turns a resource pattern into a concrete ARN to ask it about.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamCatalog } from '../../src/iam/catalog.js';
import type { PolicyDocument } from '../../src/model.js';

/**
 * A concrete resource to probe an (action, resource pattern) with: wildcards replaced by
 * plausible characters; for `*`, `*` itself when the action takes no resource, else an ARN of the
 * action's first resource type built from the catalogue's ARN format.
 */
export function probeFor(catalog: IamCatalog, action: string, pattern: string, account: string): string {
  if (pattern === '*') {
    const entry = catalog.action(action);
    const type = entry?.resourceTypes[0];
    const format = type !== undefined && entry !== undefined ? catalog.resourceType(entry.service, type.name) : undefined;
    if (entry === undefined || entry.wildcardOnly || format === undefined) return '*';
    return format.arn
      .replace('${Partition}', 'aws')
      .replace('${Region}', 'eu-west-1')
      .replace('${Account}', account)
      .replace(/\$\{[^}]+\}/g, 'example');
  }
  return pattern.replace(/\?/g, 'a').replace(/\*/g, 'example');
}

/** iam-simulate's overall result (`Allowed`, `ExplicitlyDenied`, `ImplicitlyDenied`) or `error …`. */
export async function simulate(
  policies: readonly PolicyDocument[],
  boundary: PolicyDocument | undefined,
  action: string,
  resource: string,
  account: string,
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${account}:role/golden`,
        action,
        resource: { resource, accountId: account },
        // The calls succeeded under the current policy, so its conditions held: supply the
        // context the golden scenarios' conditions test.
        contextVariables: { 'aws:RequestedRegion': 'eu-west-1' },
      },
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(boundary !== undefined ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }] } : {}),
      // KMS authorizes only through the key policy; the default key policy delegates to IAM.
      ...(action.toLowerCase().startsWith('kms:')
        ? {
            resourcePolicy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
            },
          }
        : {}),
    },
    {},
  );
  return result.resultType === 'error' ? `error ${JSON.stringify(result.errors).slice(0, 200)}` : result.overallResult;
}

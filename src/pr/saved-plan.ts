/**
 * `pr --plan plan.json`: the plan `minimize --format json --out plan.json` wrote, read back so the
 * reviewed artefact, not a re-run, reaches the repository. Only the fields `pr` uses are checked;
 * each policy's `current` document is what the file must still hold (the match refuses otherwise),
 * so a file changed since the plan was made is never overwritten.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { MinimizePlan } from '../model.js';

const document = z.object({ Version: z.string().optional(), Statement: z.array(z.record(z.string(), z.unknown())) }).loose();
const share = z
  .object({
    kind: z.enum(['inline', 'managed']),
    name: z.string(),
    arn: z.string().optional(),
    awsManaged: z.boolean(),
    change: z.enum(['edit', 'unchanged', 'remove', 'replace-aws-managed', 'keep-aws-managed', 'grace']),
    current: document,
    proposed: document,
    grantedActions: z.number(),
    keptActions: z.number(),
    removedActions: z.array(z.string()),
  })
  .loose();
const plan = z
  .object({
    role: z.string(),
    roleName: z.string(),
    window: z.object({ start: z.string(), end: z.string() }),
    evidence: z.record(z.string(), z.unknown()),
    granted: z.object({ actions: z.number(), services: z.number() }),
    used: z.array(z.record(z.string(), z.unknown())),
    unused: z.array(z.string()),
    unobservable: z.array(z.object({ action: z.string(), reason: z.string() }).loose()),
    denied: z.array(z.record(z.string(), z.unknown())),
    unmapped: z.array(z.record(z.string(), z.unknown())),
    proposed: z.array(document),
    policies: z.array(share),
    verification: z.object({ observedCalls: z.number(), allowed: z.number(), newlyAllowed: z.number() }).loose(),
    scope: z.record(z.string(), z.unknown()),
    diagnostics: z.array(z.record(z.string(), z.unknown())),
    data: z.object({ iamData: z.string() }).loose(),
  })
  .loose();

/** Parses the text of a `minimize --format json` file; `file` names it in every message. */
export function parseSavedPlan(text: string, file: string): MinimizePlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(`--plan ${file}: not JSON`, { hint: 'write it with iamtrim minimize --format json --out plan.json' });
  }
  const parsed = plan.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `--plan ${file}: not a minimize --format json plan (${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'plan'}: ${issue.message}`})`,
      {
        hint: 'write it with iamtrim minimize --format json --out plan.json (same iamtrim version)',
      },
    );
  }
  const saved = parsed.data as unknown as Omit<MinimizePlan, 'current'>;
  // The JSON leaves out `current`: it is the documents of the policies the plan covers.
  return { ...saved, current: saved.policies.map((p) => p.current) };
}

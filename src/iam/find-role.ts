/**
 * A role of an IAM snapshot by name or ARN, with "did you mean" names when there is none. Apart
 * from the snapshot's parser (and zod), so a command can look roles up before it loads that.
 */
import { InputError } from '../errors.js';
import type { IamSnapshot, RoleGrant } from '../model.js';
import { compareText } from '../util/compare-text.js';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

/** The role names most like `wanted`, for "did you mean" hints. */
export function closestNames(wanted: string, names: readonly string[], limit = 3): string[] {
  const lower = wanted.toLowerCase();
  return [...names]
    .map((name) => ({ name, score: name.toLowerCase().includes(lower) ? 0 : editDistance(lower, name.toLowerCase()) }))
    .sort((a, b) => a.score - b.score || compareText(a.name, b.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/**
 * Finds a role by name or ARN. IAM role names are unique regardless of case and IAM matches them
 * without case (`GetRole --role-name APP-API` finds `app-api`), so an exact match wins and a
 * match ignoring case is next.
 */
export function findRole(snapshot: IamSnapshot, nameOrArn: string): RoleGrant {
  const key = (r: RoleGrant): string => (nameOrArn.startsWith('arn:') ? r.arn : r.name);
  const wanted = nameOrArn.toLowerCase();
  const found = snapshot.roles.find((r) => key(r) === nameOrArn) ?? snapshot.roles.find((r) => key(r).toLowerCase() === wanted);
  if (found !== undefined) return found;
  const wantedName = nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
  const suggestions = closestNames(
    wantedName,
    snapshot.roles.map((r) => r.name),
  );
  throw new InputError(`--role ${nameOrArn}: no such role in ${snapshot.source} (${snapshot.roles.length} roles)`, {
    hint: suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?` : 'check the account the snapshot came from',
  });
}

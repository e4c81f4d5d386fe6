/** The `usage` use case: the reducer's artefact for one role or all roles. */
import { InputError } from '../errors.js';
import { findRole } from '../iam/find-role.js';
import type { Evidence, IamSnapshot, RoleFilter, TimeWindow, UsageReport } from '../model.js';
import type { UsageSource } from '../ingest/source.js';
import { reduceUsage, type CallMapper } from '../usage/reduce.js';

export interface UsageInput {
  /** Role names or ARNs; empty means all roles. */
  roles: readonly string[];
  window: TimeWindow;
}

/**
 * Says why there is no evidence, in terms a user can act on. `who` completes "no events by ...":
 * `role app-api`, `any role`, `any of 12 roles`.
 */
export function noEvidenceMessage(who: string, window: TimeWindow, evidence: Evidence): string {
  const covered =
    evidence.covered.first !== null
      ? `the ${evidence.files} log file(s) read cover ${evidence.covered.first} to ${evidence.covered.last}`
      : evidence.files === 0
        ? 'no log files were read for this window'
        : `the ${evidence.files} log file(s) read hold no dated events`;
  const dates =
    evidence.logDates?.first != null && (evidence.prunedFiles ?? 0) > 0
      ? `; all log files found span delivery dates ${evidence.logDates.first} to ${evidence.logDates.last}`
      : '';
  return `no events by ${who} between ${window.start} and ${window.end}: ${covered}${dates}`;
}

/**
 * `deps.mapCall` may still be loading (a promise): the catalogue and mapping tables then load on
 * the main thread while the scan's workers start and read (the CLI passes it so).
 */
export async function runUsage(
  deps: { mapCall: CallMapper | Promise<CallMapper>; source: UsageSource; iam?: IamSnapshot },
  input: UsageInput,
): Promise<UsageReport> {
  let filter: RoleFilter = { kind: 'all' };
  if (input.roles.length > 0) {
    const arns: string[] = [];
    const names: string[] = [];
    for (const role of input.roles) {
      if (deps.iam !== undefined) arns.push(findRole(deps.iam, role).arn);
      else if (role.startsWith('arn:')) arns.push(role);
      else names.push(role);
    }
    filter = { kind: 'roles', arns, names };
  }
  const scan = await deps.source.scan({ roles: filter, window: input.window });
  const report = reduceUsage(scan, await deps.mapCall);
  if (report.roles.length === 0) {
    const who = input.roles.length === 0 ? 'any role' : `${input.roles.length === 1 ? 'role' : 'roles'} ${input.roles.join(', ')}`;
    throw new InputError(noEvidenceMessage(who, input.window, scan.evidence), {
      hint: 'widen --days or check that --logs points at the right trail',
    });
  }
  return report;
}

/**
 * The `minimize` use case: usage of one role -> diff against its grant -> checked proposal.
 * Pure apart from the source it is handed; the result is the serialisable plan that every
 * renderer (text, JSON, diff, Terraform, PR body) reads.
 */
import { diffPermissions, type PermissionDiff } from '../diff/diff-permissions.js';
import { InputError } from '../errors.js';
import { findRole } from '../iam/authorization-details.js';
import type { IamCatalog } from '../iam/catalog.js';
import type {
  DeniedAttempt,
  Diagnostic,
  Evidence,
  IamSnapshot,
  PermissionUsage,
  PolicyDocument,
  RoleGrant,
  RoleUsage,
  TimeWindow,
  UnmappedCall,
  CallUsage,
} from '../model.js';
import type { UsageSource } from '../ingest/source.js';
import { proposePolicy, type Proposal, type ProposalOptions } from '../policy/propose.js';
import { mergeDiagnostics, reduceUsage, type CallMapper } from '../usage/reduce.js';

export interface MinimizeInput {
  role: string;
  window: TimeWindow;
  proposal: ProposalOptions;
  /** Propose even when there is no evidence (zero events). Off by default: no evidence is not "unused". */
  allowEmpty: boolean;
}

export interface MinimizeDeps {
  catalog: IamCatalog;
  mapCall: CallMapper;
  source: UsageSource;
  iam: IamSnapshot;
}

/** The plan: everything known about one role's grant and usage, and the checked proposal. */
export interface MinimizePlan {
  role: string;
  roleName: string;
  window: TimeWindow;
  evidence: Evidence & { denied: number; unmapped: number };
  granted: { actions: number; services: number };
  used: PermissionUsage[];
  unused: string[];
  unobservable: PermissionDiff['unobservable'];
  denied: DeniedAttempt[];
  unmapped: UnmappedCall[];
  usedNotGranted: string[];
  calls: CallUsage[];
  current: PolicyDocument[];
  proposed: PolicyDocument[];
  verification: Proposal['verification'];
  scope: Proposal['scope'];
  diagnostics: Diagnostic[];
  /** Reference data the plan was computed with. */
  data: { iamData: string };
}

function emptyUsage(role: string): RoleUsage {
  return { role, events: 0, calls: [], used: [], denied: [], unmapped: [], diagnostics: [] };
}

/** Says why there is no evidence, in terms a user can act on. */
export function noEvidenceMessage(roleName: string, window: TimeWindow, evidence: Evidence): string {
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
  return `no events by role ${roleName} between ${window.start} and ${window.end}: ${covered}${dates}`;
}

export async function runMinimize(deps: MinimizeDeps, input: MinimizeInput): Promise<MinimizePlan> {
  const grant: RoleGrant = findRole(deps.iam, input.role);
  const scan = await deps.source.scan({ roles: { kind: 'roles', arns: [grant.arn], names: [] }, window: input.window });
  const report = reduceUsage(scan, deps.mapCall);
  const usage = report.roles.find((r) => r.role === grant.arn) ?? emptyUsage(grant.arn);
  if (usage.events === 0 && !input.allowEmpty) {
    throw new InputError(noEvidenceMessage(grant.name, input.window, scan.evidence), {
      hint: 'widen --days, check --logs points at this account\'s trail, or pass --allow-empty to propose from no evidence (removes every permission)',
    });
  }
  const diff = diffPermissions({ catalog: deps.catalog, grant, usage, evidence: scan.evidence });
  const proposal = proposePolicy({ catalog: deps.catalog, grant, usage, diff, options: input.proposal });
  const diagnostics: Diagnostic[] = [...usage.diagnostics, ...proposal.diagnostics];
  if (scan.evidence.skippedFiles.length > 0) {
    diagnostics.push({
      code: 'skipped-files',
      severity: 'warning',
      message: `${scan.evidence.skippedFiles.length} unreadable log file(s) were skipped (--skip-bad-files); usage in them is missing`,
      count: scan.evidence.skippedFiles.length,
    });
  }
  return {
    role: grant.arn,
    roleName: grant.name,
    window: input.window,
    evidence: {
      ...scan.evidence,
      denied: usage.denied.reduce((sum, d) => sum + d.count, 0),
      unmapped: usage.unmapped.reduce((sum, u) => sum + u.count, 0),
    },
    granted: { actions: diff.granted.length, services: diff.services },
    used: usage.used,
    unused: diff.unused,
    unobservable: diff.unobservable,
    denied: usage.denied,
    unmapped: usage.unmapped,
    usedNotGranted: diff.usedNotGranted,
    calls: usage.calls,
    current: grant.policies.map((p) => p.document),
    proposed: proposal.policies,
    verification: proposal.verification,
    scope: proposal.scope,
    diagnostics: mergeDiagnostics(diagnostics),
    data: { iamData: deps.catalog.version },
  };
}

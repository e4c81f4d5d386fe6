/**
 * One runner for every scenario under test/policy-scenarios/: the proposal allows every observed
 * successful call and nothing the current policies deny, per our evaluator and per iam-simulate
 * (AGPL, test-only oracle); output is byte-identical across runs and fits the IAM size limits.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffPermissions } from '../src/diff/diff-permissions.js';
import { groupRecords, type CloudTrailRecord } from '../src/ingest/reference.js';
import { createMapper } from '../src/mapping/map-call.js';
import { reduceUsage } from '../src/usage/reduce.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { evaluate } from '../src/iam/evaluate.js';
import { asList, expandActionPattern } from '../src/iam/expand.js';
import type { Evidence, PolicyDocument, RoleGrant, RolePolicy, RoleUsage } from '../src/model.js';
import { IAM_LIMITS } from '../src/policy/fit-limits.js';
import { policyShares } from '../src/policy/per-policy.js';
import { policySize, proposePolicy, type Proposal, type ProposalOptions } from '../src/policy/propose.js';

interface Scenario {
  description: string;
  grant: { policies: RolePolicy[]; boundary?: RolePolicy };
  dataEventSources: string[];
  used: { action: string; resources: string[]; via?: string[] }[];
  /** Shorthand for many used actions: every catalogue action matching `pattern` except `except`. */
  usedExpand?: { pattern: string; resources: string[]; except?: string[] }[];
  /**
   * CloudTrail records by role/app, taken through the production mapping (the reference
   * attribution, `createMapper`, `reduceUsage`): what they map to is added to `used`.
   */
  records?: CloudTrailRecord[];
  /** The pairs AWS authorizes for `records`, written from its documentation: the proposal must allow each (iam-simulate). */
  authorized?: { action: string; resource: string }[];
  denied?: { action: string; count: number; lastSeen: string }[];
  options?: Partial<ProposalOptions>;
  /** Request context under which the observed calls succeeded (for iam-simulate). */
  context?: Record<string, string | string[]>;
  probes?: { action: string; resource: string }[];
  expect?: {
    contains?: string[];
    excludes?: string[];
    maxActions?: number;
    policies?: number;
    diagnostics?: string[];
    usedNotGranted?: string[];
    unobservable?: string[];
  };
}

const ACCOUNT = '123456789012';
const dir = join(import.meta.dirname, 'policy-scenarios');
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), scenario: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Scenario }));

/** What the records' calls needed, as the production mapping says (see Scenario.records). */
function mappedRecords(records: readonly CloudTrailRecord[]): Scenario['used'] {
  if (records.length === 0) return [];
  const window = { start: '2000-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' };
  const rows = groupRecords(records, { kind: 'all' }, window);
  const evidence: Evidence = {
    source: 'test',
    files: 1,
    bytes: 1,
    skippedFiles: [],
    records: records.length,
    invalidRecords: 0,
    events: records.length,
    covered: { first: window.start, last: window.end },
    dataEventSources: [],
  };
  const report = reduceUsage({ window, rows, evidence }, createMapper(catalog));
  return report.roles.flatMap((r) => r.used.map((u) => ({ action: u.action, resources: u.resources })));
}

function build(s: Scenario): { grant: RoleGrant; usage: RoleUsage; evidence: Evidence } {
  const expanded = (s.usedExpand ?? []).flatMap((e) =>
    expandActionPattern(catalog, e.pattern)
      .filter((a) => !(e.except ?? []).includes(a))
      .map((action) => ({ action, resources: e.resources })),
  );
  const used: Scenario['used'] = [...s.used, ...expanded, ...mappedRecords(s.records ?? [])];
  const grant: RoleGrant = {
    arn: `arn:aws:iam::${ACCOUNT}:role/app`,
    name: 'app',
    path: '/',
    accountId: ACCOUNT,
    policies: s.grant.policies,
    ...(s.grant.boundary !== undefined ? { boundary: s.grant.boundary } : {}),
    serviceLinked: false,
  };
  const usage: RoleUsage = {
    role: grant.arn,
    events: used.length,
    calls: [],
    used: used.map((u) => ({
      action: u.action,
      resources: u.resources,
      count: 1,
      firstSeen: '2025-01-01T00:00:00Z',
      lastSeen: '2025-01-02T00:00:00Z',
      ...(u.via !== undefined ? { via: u.via } : {}),
    })),
    denied: (s.denied ?? []).map((d) => ({ firstSeen: d.lastSeen, resources: [], ...d })),
    unmapped: [],
    diagnostics: [],
  };
  const evidence: Evidence = {
    source: 'test',
    files: 1,
    bytes: 1,
    skippedFiles: [],
    records: 1,
    invalidRecords: 0,
    events: 1,
    covered: { first: '2025-01-01T00:00:00Z', last: '2025-02-01T00:00:00Z' },
    dataEventSources: s.dataEventSources,
  };
  return { grant, usage, evidence };
}

function run(catalog: IamCatalog, s: Scenario): Proposal {
  const { grant, usage, evidence } = build(s);
  const diff = diffPermissions({ catalog, grant, usage, evidence });
  const options: ProposalOptions = { resources: 'generalize', dropUnobservable: false, policyType: 'managed', ...s.options };
  return proposePolicy({ catalog, grant, usage, diff, options });
}

/** Each (action, resource) pair once: the oracle's verdict on a pair depends on nothing else the loops vary. */
function distinct<T extends { action: string; resource: string }>(pairs: readonly T[]): T[] {
  return [...new Map(pairs.map((p) => [`${p.action} ${p.resource}`, p])).values()];
}

/** A concrete resource inside a pattern, for the oracle (which wants real ARNs). */
function concrete(pattern: string): string {
  return pattern.replace(/\*/g, 'x').replace(/\?/g, 'x');
}

async function simulate(
  policies: readonly PolicyDocument[],
  boundary: PolicyDocument | undefined,
  action: string,
  resource: string,
  context: Record<string, string | string[]>,
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/app`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(boundary !== undefined ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }] } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors).slice(0, 300)}`;
  return result.overallResult;
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe.each(scenarios)('policy scenario $name', ({ scenario }) => {
  it('is verified, canonical, deterministic and within limits', () => {
    const first = run(catalog, scenario);
    const second = run(catalog, scenario);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first.verification.newlyAllowed).toBe(0);
    expect(first.verification.allowed).toBe(first.verification.observedCalls);
    const policyType = scenario.options?.policyType ?? 'managed';
    const sizes = first.policies.map(policySize);
    if (policyType === 'managed') {
      expect(Math.max(...sizes)).toBeLessThanOrEqual(IAM_LIMITS.managedPolicySize);
      expect(sizes.length).toBeLessThanOrEqual(IAM_LIMITS.managedPoliciesPerRole);
    } else expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(IAM_LIMITS.inlinePolicySizeTotal);
    const text = JSON.stringify(first.policies);
    for (const c of scenario.expect?.contains ?? []) expect(text).toContain(c);
    for (const c of scenario.expect?.excludes ?? []) expect(text).not.toContain(c);
    if (scenario.expect?.maxActions !== undefined) expect(first.scope.after.actions).toBeLessThanOrEqual(scenario.expect.maxActions);
    if (scenario.expect?.policies !== undefined) expect(first.policies.length).toBe(scenario.expect.policies);
    const codes = first.diagnostics.map((d) => d.code);
    for (const c of scenario.expect?.diagnostics ?? []) expect(codes).toContain(c);
    console.log(scenario.description, '\n', JSON.stringify({ scope: first.scope, sizes, verification: first.verification }));
  });

  it('agrees with iam-simulate: all observed calls allowed, nothing newly allowed', async () => {
    const proposal = run(catalog, scenario);
    const { grant, usage, evidence } = build(scenario);
    const diff = diffPermissions({ catalog, grant, usage, evidence });
    if (scenario.expect?.usedNotGranted !== undefined) expect(diff.usedNotGranted).toEqual(scenario.expect.usedNotGranted);
    for (const u of scenario.expect?.unobservable ?? []) expect(diff.unobservable.map((x) => x.action)).toContain(u);
    const current = grant.policies.map((p) => p.document);
    const boundary = grant.boundary?.document;
    const context = scenario.context ?? {};
    const proposedActions = new Set(diff.used);
    for (const u of usage.used) {
      if (!proposedActions.has(catalog.action(u.action)?.id ?? u.action)) continue;
      for (const r of u.resources) {
        const today = await simulate(current, boundary, u.action, concrete(r), context);
        if (today !== 'Allowed') continue; // granted by something outside identity policies: never proposed
        expect(await simulate(proposal.policies, boundary, u.action, concrete(r), context), `${u.action} ${r}`).toBe('Allowed');
      }
    }
    for (const pair of scenario.authorized ?? [])
      expect(await simulate(proposal.policies, boundary, pair.action, pair.resource, context), `${pair.action} ${pair.resource} (authorized)`).toBe('Allowed');
    // Probes: every concrete pair the proposal names, plus the scenario's own probes.
    const probes = [...(scenario.probes ?? [])];
    for (const s of proposal.policies.flatMap((d) => d.Statement)) {
      if (s.Effect !== 'Allow' || s.NotResource !== undefined) continue;
      const actions = asList(s.Action).flatMap((a) => expandActionPattern(catalog, a));
      for (const action of actions.slice(0, 40)) for (const r of asList(s.Resource)) if (r !== '*') probes.push({ action, resource: concrete(r) });
    }
    for (const probe of distinct(probes)) {
      const after = await simulate(proposal.policies, boundary, probe.action, probe.resource, context);
      if (after !== 'Allowed') continue;
      const before = await simulate(current, boundary, probe.action, probe.resource, context);
      expect(before, `${probe.action} ${probe.resource} newly allowed`).toBe('Allowed');
      expect(evaluate(current, probe, { boundary, denyConditions: 'assume-unmet' }).decision, `our evaluator agrees on ${probe.action} ${probe.resource}`).toBe(
        'allowed',
      );
    }
  });

  it('splits per policy: each share within its own document, the shares together allow what the merged proposal allows (iam-simulate)', async () => {
    const proposal = run(catalog, scenario);
    const { grant, usage } = build(scenario);
    const shares = policyShares(catalog, grant, proposal.policies);
    expect(shares.map((s) => s.name)).toEqual(grant.policies.map((p) => p.name));
    const boundary = grant.boundary?.document;
    const context = scenario.context ?? {};
    const union = shares.map((s) => s.proposed).filter((d) => d.Statement.length > 0);
    const probesOf = (docs: readonly PolicyDocument[]): { action: string; resource: string }[] =>
      docs
        .flatMap((d) => d.Statement)
        .flatMap((s) => {
          if (s.Effect !== 'Allow' || s.NotResource !== undefined) return [];
          const actions = asList(s.Action)
            .flatMap((a) => expandActionPattern(catalog, a))
            .slice(0, 40);
          return actions.flatMap((action) => asList(s.Resource).map((r) => ({ action, resource: concrete(r) })));
        });
    // Each share grants nothing its own document does not (the boundary aside: it stays attached).
    for (const [i, share] of shares.entries()) {
      const own = grant.policies[i]?.document;
      if (own === undefined) throw new Error('share without a policy');
      for (const probe of distinct(probesOf([share.proposed]))) {
        if ((await simulate([share.proposed], undefined, probe.action, probe.resource, context)) !== 'Allowed') continue;
        expect(await simulate([own], undefined, probe.action, probe.resource, context), `${share.name}: ${probe.action} ${probe.resource}`).toBe('Allowed');
      }
    }
    // Union of the shares == the merged proposal, on every pair either names and every observed call.
    const observed = usage.used.flatMap((u) => u.resources.map((r) => ({ action: u.action, resource: concrete(r) })));
    const probes = [...probesOf(proposal.policies), ...probesOf(union), ...observed, ...(scenario.probes ?? [])];
    let compared = 0;
    for (const probe of distinct(probes)) {
      const merged = await simulate(proposal.policies, boundary, probe.action, probe.resource, context);
      const split = await simulate(union, boundary, probe.action, probe.resource, context);
      expect(split, `${probe.action} ${probe.resource}`).toBe(merged);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

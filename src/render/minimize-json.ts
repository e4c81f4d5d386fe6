/**
 * The `minimize --format json` contract. Later features and users build on these names:
 * role, window, evidence, granted, used, unused, proposed, diagnostics (+ unobservable, denied,
 * verification, scope; lastAccessed with --last-accessed; regressions: used in the window and no
 * longer granted). Key order is fixed here so the bytes are stable.
 */
import type { MinimizePlan } from '../model.js';
import { windowRegressions } from '../drift/regressions.js';
import { json } from './format.js';

export function minimizeJson(plan: MinimizePlan): unknown {
  const { current: _current, ...rest } = plan;
  return {
    role: rest.role,
    roleName: rest.roleName,
    window: rest.window,
    evidence: rest.evidence,
    granted: rest.granted,
    used: rest.used,
    unused: rest.unused,
    unobservable: rest.unobservable,
    observability: rest.observability,
    denied: rest.denied,
    unmapped: rest.unmapped,
    kept: rest.kept,
    ...(rest.lastAccessed !== undefined ? { lastAccessed: rest.lastAccessed } : {}),
    usedNotGranted: rest.usedNotGranted,
    // Calls that worked in the window and that the role is no longer granted (see drift's Regressions).
    regressions: windowRegressions({ name: rest.roleName, arn: rest.role }, rest, rest.usedNotGranted, []),
    proposed: rest.proposed,
    policies: rest.policies,
    verification: rest.verification,
    scope: rest.scope,
    calls: rest.calls,
    diagnostics: rest.diagnostics,
    data: rest.data,
  };
}

export function renderMinimizeJson(plan: MinimizePlan): string {
  return json(minimizeJson(plan));
}

/**
 * Which granted actions CloudTrail can show as used. The rules are data
 * (`data/observability.json`, one row per action with its reason), never branches in code.
 */
import table from './data/observability.json' with { type: 'json' };
import type { ActionId, Evidence } from '../model.js';

export type ObservabilityKind = 'data-event' | 'permission-only' | 'not-logged';

export interface ObservabilityRule {
  action: ActionId;
  kind: ObservabilityKind;
  /** For data events: the eventSource whose data events must be in the logs. */
  eventSource?: string;
  reason: string;
}

function toKind(kind: string): ObservabilityKind {
  if (kind === 'data-event' || kind === 'permission-only' || kind === 'not-logged') return kind;
  throw new Error(`observability.json: unknown kind ${kind}`);
}

export const observabilityRules: readonly ObservabilityRule[] = table.rows.map((r) => ({
  action: r.action,
  kind: toKind(r.kind),
  ...('eventSource' in r && typeof r.eventSource === 'string' ? { eventSource: r.eventSource } : {}),
  reason: r.reason,
}));

const byAction = new Map(observabilityRules.map((r) => [r.action.toLowerCase(), r]));

export function observabilityRule(action: ActionId): ObservabilityRule | undefined {
  return byAction.get(action.toLowerCase());
}

/** Why an unused action cannot be called unused with this evidence, or undefined when it can. */
export function unobservableReason(action: ActionId, evidence: Evidence): string | undefined {
  const rule = observabilityRule(action);
  if (rule === undefined) return undefined;
  if (rule.kind === 'data-event') {
    if (rule.eventSource !== undefined && evidence.dataEventSources.includes(rule.eventSource)) return undefined;
    return `${rule.reason}; the logs contain no data events for ${rule.eventSource ?? 'this service'}`;
  }
  return rule.reason;
}

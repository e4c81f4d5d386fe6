/**
 * The used actions of a role with when each was last called: what a reviewer reads first. The
 * usage keeps a first and last time per permission (from the call rows); the diff decides which
 * permissions count as used. This joins the two, by the catalogue's spelling of the action.
 */
import { type IamCatalog } from '../iam/catalog.js';
import type { RoleUsage } from '../model.js';
import type { UsedAction } from './report.js';

/** One entry per action of `used` (same order); `lastSeen` is the latest successful call in the window. */
export function usedWithLastSeen(catalog: IamCatalog, usage: RoleUsage, used: readonly string[]): UsedAction[] {
  const seen = new Map<string, { count: number; lastSeen: string }>();
  for (const permission of usage.used) {
    const action = catalog.action(permission.action)?.id ?? permission.action;
    const before = seen.get(action);
    if (before === undefined) seen.set(action, { count: permission.count, lastSeen: permission.lastSeen });
    else seen.set(action, { count: before.count + permission.count, lastSeen: permission.lastSeen > before.lastSeen ? permission.lastSeen : before.lastSeen });
  }
  return used.map((action) => ({ action, count: seen.get(action)?.count ?? 0, lastSeen: seen.get(action)?.lastSeen ?? '' }));
}

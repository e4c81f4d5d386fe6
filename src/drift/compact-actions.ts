/**
 * A lossless short form of an action list: a service whose every catalogue action is in the list
 * is written `service:*`. A role granted `*` has about 22k unused actions; this keeps its report
 * entry to a few hundred strings without dropping information (given the catalogue version, which
 * the report records).
 */
import { type IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import type { ActionId } from '../model.js';

export function compactActions(catalog: IamCatalog, actions: readonly ActionId[]): string[] {
  const byService = new Map<string, ActionId[]>();
  for (const action of actions) {
    const service = action.slice(0, action.indexOf(':'));
    const list = byService.get(service);
    if (list === undefined) byService.set(service, [action]);
    else list.push(action);
  }
  const out: string[] = [];
  for (const [service, list] of byService) {
    const all = catalog.actionsForService(service).length;
    if (all > 1 && new Set(list).size === all) out.push(`${service}:*`);
    else out.push(...list);
  }
  return [...new Set(out)].sort(compareText);
}

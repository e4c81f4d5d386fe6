/**
 * Compares the mapper with the iam-dataset SDK-method -> IAM-action oracle (read-only; nothing of
 * it is copied into the tables). Shared by test/mapping-oracle.test.ts and the miss report.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { IamCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import { callRow } from './mapping-helpers.js';

const oracleSchema = z.object({
  sdk_method_iam_mappings: z.record(z.string(), z.array(z.object({ action: z.string(), conditions: z.unknown().optional() }).loose())),
  sdk_service_mappings: z.record(z.string(), z.string()),
  sdk_permissionless_actions: z.array(z.string()),
  service_sdk_mappings: z.record(z.string(), z.array(z.string())),
});

export type MissCategory =
  | 'oracle-action-not-in-catalogue'
  | 'oracle-adds-dependent-action'
  | 'we-add-action'
  | 'unmapped-by-us'
  | 'service-not-in-catalogue'
  | 'catalogue-has-own-action'
  | 'ignored-by-us'
  | 'different-action';

export interface OracleMiss {
  method: string;
  eventSource: string;
  eventName: string;
  oracle: string[];
  ours: string[];
  category: MissCategory;
}

export interface OracleResult {
  compared: number;
  exact: number;
  rate: number;
  skippedNoService: number;
  permissionlessAgree: number;
  /** Methods whose oracle entry also lists actions of other services (not compared). */
  crossServiceDependents: number;
  misses: OracleMiss[];
}

/**
 * Definition: for each oracle SDK method `Service.Method` whose service has an IAM prefix, build the
 * CloudTrail call (eventSource `<prefix>.amazonaws.com`, eventName `Method`, no parameters) and
 * compare the set of actions we emit with the oracle's *primary* set: its actions without a
 * `conditions` guard (those depend on request fields the oracle tests, e.g. CopyObject tagging)
 * and without iam:PassRole (we infer PassRole from parameters, and the row has none).
 */
export function compareWithOracle(catalog: IamCatalog, mapPath: string): OracleResult {
  const oracle = oracleSchema.parse(JSON.parse(readFileSync(mapPath, 'utf8')));
  const mapper = createMapper(catalog);
  const misses: OracleMiss[] = [];
  let compared = 0;
  let exact = 0;
  let skippedNoService = 0;
  let permissionlessAgree = 0;
  let crossServiceDependents = 0;
  // SDK service name -> IAM prefix: sdk_service_mappings, completed by inverting service_sdk_mappings.
  const prefixes = new Map<string, string>(Object.entries(oracle.sdk_service_mappings));
  for (const [prefix, sdkNames] of Object.entries(oracle.service_sdk_mappings)) {
    for (const sdk of sdkNames) if (!prefixes.has(sdk)) prefixes.set(sdk, prefix);
  }
  for (const [method, entries] of Object.entries(oracle.sdk_method_iam_mappings).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dot = method.indexOf('.');
    const prefix = prefixes.get(method.slice(0, dot));
    if (prefix === undefined) {
      skippedNoService += 1;
      continue;
    }
    const eventSource = `${prefix}.amazonaws.com`;
    const eventName = method.slice(dot + 1);
    const unconditional = [...new Set(entries.filter((e) => e.conditions === undefined && e.action !== 'iam:PassRole').map((e) => e.action))].sort();
    // Actions of other services are dependent actions that service checks or calls on the caller's
    // behalf (they appear as their own events, often with invokedBy); counted separately.
    const ownService = unconditional.filter((a) => a.startsWith(`${prefix}:`));
    const primary = ownService.length > 0 ? ownService : unconditional;
    if (primary.length < unconditional.length) crossServiceDependents += 1;
    if (primary.length === 0) continue;
    compared += 1;
    const mapped = mapper(callRow({ eventSource, eventName }));
    const ours = mapped.kind === 'mapped' ? [...new Set(mapped.permissions.filter((p) => p.action !== 'iam:PassRole').map((p) => p.action))].sort() : [];
    const oracleCanonical = primary.map((a) => catalog.action(a)?.id ?? a);
    if (JSON.stringify(oracleCanonical.slice().sort()) === JSON.stringify(ours)) {
      exact += 1;
      continue;
    }
    const oracleSet = new Set(oracleCanonical);
    const oursSet = new Set(ours);
    let category: MissCategory;
    if (!catalog.hasService(prefix)) category = 'service-not-in-catalogue';
    else if (mapped.kind === 'unmapped') category = 'unmapped-by-us';
    else if (mapped.kind === 'ignored') category = 'ignored-by-us';
    else if (primary.some((a) => catalog.action(a) === undefined)) category = 'oracle-action-not-in-catalogue';
    else if (ours.length === 1 && catalog.action(`${prefix}:${eventName}`)?.id === ours[0]) category = 'catalogue-has-own-action';
    else if (ours.every((a) => oracleSet.has(a))) category = 'oracle-adds-dependent-action';
    else if (oracleCanonical.every((a) => oursSet.has(a))) category = 'we-add-action';
    else category = 'different-action';
    misses.push({ method, eventSource, eventName, oracle: oracleCanonical, ours, category });
  }
  for (const method of oracle.sdk_permissionless_actions) {
    const dot = method.indexOf('.');
    const prefix = prefixes.get(method.slice(0, dot)) ?? method.slice(0, dot).toLowerCase();
    if (mapper(callRow({ eventSource: `${prefix}.amazonaws.com`, eventName: method.slice(dot + 1) })).kind === 'ignored') permissionlessAgree += 1;
  }
  return { compared, exact, rate: compared === 0 ? 0 : exact / compared, skippedNoService, permissionlessAgree, crossServiceDependents, misses };
}

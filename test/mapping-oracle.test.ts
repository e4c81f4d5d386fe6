import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/iam/catalog.js';
import { compareWithOracle } from './mapping-oracle.js';

const datasets = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets');
const mapPath = join(datasets, 'mapping', 'iam-dataset-map', 'map.json');
const present = existsSync(mapPath);
if (!present) console.log(`mapping-oracle: ${mapPath} is absent; skipping the oracle comparison`);

describe.skipIf(!present)('mapping vs the iam-dataset SDK-method oracle', () => {
  it('matches the oracle primary action set for at least 97% of comparable methods', async () => {
    const result = compareWithOracle(await loadCatalog(), mapPath);
    const byCategory = new Map<string, number>();
    for (const miss of result.misses) byCategory.set(miss.category, (byCategory.get(miss.category) ?? 0) + 1);
    console.log(
      `oracle exact match ${result.exact}/${result.compared} = ${(result.rate * 100).toFixed(2)}%`,
      `(no IAM prefix for ${result.skippedNoService} methods; ${result.crossServiceDependents} with cross-service dependents)`,
      JSON.stringify(Object.fromEntries([...byCategory].sort())),
    );
    if (process.env['IAMTRIM_ORACLE_MISSES'] === '1') {
      for (const m of result.misses) console.log(`${m.category}\t${m.method}\t${m.oracle.join(',')}\t${m.ours.join(',')}`);
    }
    expect(result.compared).toBeGreaterThan(7000);
    expect(result.rate).toBeGreaterThanOrEqual(0.97);
    expect(result.permissionlessAgree).toBe(3);
  });
});

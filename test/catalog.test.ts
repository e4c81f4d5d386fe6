import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFromData, loadCatalog, readCatalogData } from '../src/iam/catalog.js';

describe('catalog', () => {
  it('loads the service authorization reference with canonical action names', async () => {
    const t0 = Date.now();
    const catalog = await loadCatalog();
    console.log('catalog load ms', Date.now() - t0, catalog.allActions().length, catalog.services().length, catalog.version);
    expect(catalog.action('S3:getobject')?.id).toBe('s3:GetObject');
    expect(catalog.action('lambda:InvokeFunction')?.resourceTypes.map((r) => r.name)).toContain('function');
    expect(catalog.action('lambda:Invoke')).toBeUndefined();
    expect(catalog.resourceType('s3', 'object')?.arn).toBe('arn:${Partition}:s3:::${BucketName}/${ObjectName}');
    expect(catalog.allActions().length).toBeGreaterThan(15000);
  });
});

describe('catalog bundle', () => {
  it('the bundle the build writes holds exactly what iam-data files give (dist/ is built by npm install)', async () => {
    const bundle = join('dist', 'iam', 'catalog-data.json');
    expect(existsSync(bundle), 'npm install builds dist/ (prepare)').toBe(true);
    const data = await readCatalogData();
    expect(JSON.parse(await readFile(bundle, 'utf8'))).toEqual(data);
    const catalog = catalogFromData(data);
    expect(catalog.allActions().length).toBe(Object.values(data.actions).reduce((n, a) => n + a.length, 0));
    expect(catalog.action('s3:getobject')).toEqual(data.actions['s3']?.find((a) => a.name === 'GetObject'));
  });
});

import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/iam/catalog.js';

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

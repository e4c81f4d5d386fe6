/**
 * `npm run build` runs this after tsc: it writes the IAM catalogue as one JSON file next to the
 * built catalog module, so the CLI reads one file at start-up instead of ~900 (see loadCatalog).
 */
import { writeFile } from 'node:fs/promises';
import { CATALOG_BUNDLE, readCatalogData } from './catalog.js';

await writeFile(CATALOG_BUNDLE, JSON.stringify(await readCatalogData()));

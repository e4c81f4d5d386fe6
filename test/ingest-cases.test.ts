/**
 * Ingest specified as data: every case in test/ingest-cases/*.json (records or raw file text in,
 * call rows and evidence out, written from the CloudTrail record format documentation and real
 * records) is run through every source that reads CloudTrail, and each must give the expected
 * answer:
 *
 * - `native`: the local source on the native walker (skipped, saying why, where it is not loaded);
 * - `reference`: the local source on the reference path (JSON.parse + reference.ts);
 * - `index`: `iamtrim index` over the file, then the index answers the query (whole-day windows);
 * - `athena`: the Athena source through the production client against the local stand-in, which
 *   answers from the records (test/athena-expected-rows.ts);
 * - `sql`: the usage query's SQL (what Athena runs) on DuckDB (test/helpers/sql-harness.ts).
 *
 * A case may exclude a source with a reason (`except`), printed in the test's name. This file runs
 * the fast sources; test/ingest-cases-sql.test.ts runs `index` and `sql` (DuckDB, ~1 s a case).
 */
import { describe, expect, it } from 'vitest';
import { corpus, describeCorpus } from './helpers/ingest-cases.js';

describeCorpus(['native', 'reference', 'athena']);

describe('the corpus', () => {
  it('has cases, each with a source, and names unique within a file', () => {
    expect(corpus.reduce((n, f) => n + f.cases.length, 0)).toBeGreaterThanOrEqual(20);
    for (const { file, cases } of corpus) {
      expect(new Set(cases.map((c) => c.name)).size, file).toBe(cases.length);
      for (const c of cases) expect(c.source.length, `${file}: ${c.name}`).toBeGreaterThan(10);
    }
  });
});

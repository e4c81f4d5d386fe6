/**
 * test/ingest-cases/*.json through the usage index (`iamtrim index`, then the index answers) and
 * the usage query's SQL on DuckDB (what Athena runs): the slow half of test/ingest-cases.test.ts.
 */
import { describeCorpus } from './helpers/ingest-cases.js';

describeCorpus(['index', 'sql']);

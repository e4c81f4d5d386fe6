/**
 * A usage source: anything that answers the usage query with grouped call rows and the evidence
 * it read. Local files (`--logs`) are the default; the usage index, Athena, LookupEvents and CloudTrail Lake plug in
 * here. A source that could not read all its evidence must throw, never return fewer rows.
 */
import type { UsageQuery, UsageScan } from '../model.js';

export interface UsageSource {
  /** For messages: `local logs ./logs`, `athena db.table`. */
  readonly description: string;
  scan(query: UsageQuery): Promise<UsageScan>;
}

/**
 * Call groups leave DuckDB as one JSON text each instead of ~60 mostly-NULL columns: reading
 * values out of DuckDB one by one costs ~1 µs each (4.5 s for 84k groups) and builds a wide JS
 * object per group; one JSON.parse per group is ~20x cheaper and keeps memory to what is used.
 * Shared by the local scan and the usage index, whose grouped columns are the usage query's.
 */
import type { CallRow } from '../model.js';
import { PARAM_COLUMNS } from './query.js';

interface PackedGroup {
  role: string;
  source: string;
  name: string;
  region: string | null;
  account: string | null;
  category: string | null;
  error: string | null;
  invokedBy: string | null;
  resources: string | null;
  params: Array<{ k: string; v: string }>;
  /** `CallRow.foldedDepth` (see fold.ts); absent or null for rows kept as observed. */
  folded?: number | null;
  count: number | string;
  first: string;
  last: string;
}

/**
 * The SQL expression packing one group's call-key columns (`c_role`, …, `p_*`) and the given
 * count / first / last expressions into JSON text.
 */
export function packedCallSql(count: string, first: string, last: string): string {
  const params = PARAM_COLUMNS.map((p) => `struct_pack(k := '${p.name}', v := ${p.column})`).join(', ');
  return `CAST(to_json(struct_pack(
    role := c_role, source := c_source, name := c_name, region := c_region, account := c_account,
    category := c_category, error := c_error, invokedBy := c_invoked_by, resources := c_resources,
    params := list_filter([${params}], x -> x.v IS NOT NULL),
    count := ${count}, first := ${first}, last := ${last})) AS VARCHAR)`;
}

/** The CallRow a packed group describes. */
export function unpackCallRow(json: string): CallRow {
  const g = JSON.parse(json) as PackedGroup;
  const params: Record<string, string> = {};
  for (const p of g.params) params[p.k] = p.v;
  const row: CallRow = {
    roleArn: g.role,
    eventSource: g.source,
    eventName: g.name,
    awsRegion: g.region ?? '',
    recipientAccountId: g.account ?? '',
    eventCategory: g.category ?? '',
    errorCode: g.error,
    invokedBy: g.invokedBy,
    params,
    resourceArns: g.resources === null ? [] : (JSON.parse(g.resources) as string[]),
    count: Number(g.count),
    firstSeen: g.first,
    lastSeen: g.last,
  };
  if (g.folded !== undefined && g.folded !== null) row.foldedDepth = Number(g.folded);
  return row;
}

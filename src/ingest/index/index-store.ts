/**
 * The usage index on disk: a DuckDB database of call groups by their `callKey` text, folded, per
 * (day, source file) (`calls`: a changed file replaces exactly its own rows), per day (`calls_day`)
 * and per aligned block of 2^k days (`calls_block`, day-blocks.ts); per-file statistics with the
 * size and mtime each file had when read; and the files that could not be read.
 */
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InputError } from '../../errors.js';
import { BLOCK_LEVELS } from './day-blocks.js';

/**
 * The DuckDB API, loaded with `require`: an ESM `import` of this CommonJS package makes Node
 * pre-parse its ~120 files for their export names, doubling its load time (~170 ms against ~90 ms)
 * in every `--index` run. Node shares the module with `import`s elsewhere (the CommonJS cache).
 */
export const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;

/**
 * Bumped when the tables change shape; an index of another version is refused with a message,
 * never misread. Version 3 added `calls_block` (`meta.block_levels` = its highest level).
 */
export const INDEX_VERSION = '3';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS files (path VARCHAR PRIMARY KEY, size BIGINT, mtime_ms DOUBLE, records BIGINT, valid_records BIGINT, first_seen VARCHAR, last_seen VARCHAR, indexed_at VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS skipped (path VARCHAR PRIMARY KEY, size BIGINT, mtime_ms DOUBLE, reason VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS calls (day VARCHAR, file VARCHAR, c_role VARCHAR, c_role_name VARCHAR, call VARCHAR, records BIGINT, first_seen VARCHAR, last_seen VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS calls_day (day VARCHAR, c_role VARCHAR, c_role_name VARCHAR, call VARCHAR, records BIGINT, first_seen VARCHAR, last_seen VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS calls_block (level TINYINT, day VARCHAR, c_role VARCHAR, c_role_name VARCHAR, call VARCHAR, records BIGINT, first_seen VARCHAR, last_seen VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS dirty_days (day VARCHAR PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS coverage (day VARCHAR, file VARCHAR, event_source VARCHAR, event_category VARCHAR, records BIGINT)`,
];

export interface IndexHandle {
  connection: DuckDBConnection;
  /** The highest block level of `calls_block` (`meta.block_levels`). */
  blockLevels: number;
  close(): void;
}

/**
 * Opens (creating when `create`) the index database and its tables. `name` is the path messages
 * show when `path` is a working copy of it.
 */
export async function openIndex(path: string, options: { create: boolean; name?: string }): Promise<IndexHandle> {
  const name = options.name ?? path;
  const existed = existsSync(path);
  const instance = await duckdb.DuckDBInstance.create(path, {
    threads: '2',
    preserve_insertion_order: 'false',
    // A build only appends, deletes and rebuilds day blocks (the logs are read by the stream
    // scanner): DuckDB's default limit (80 % of RAM) let its cache grow with the index (1M-event
    // build 724 MiB peak RSS; 473 MiB with 128 MB and 8 MB batches, same time). Larger work spills.
    ...(options.create ? { memory_limit: '128MB' } : { access_mode: 'READ_ONLY' }),
  });
  const connection = await instance.connect();
  const close = (): void => {
    connection.closeSync();
    instance.closeSync();
  };
  const refuse = (problem: string): never => {
    close();
    throw new InputError(`${name}: ${problem}`, { hint: 'delete it and run `iamtrim index` again to rebuild it from the logs' });
  };
  if (existed) {
    const version = (await readMeta(connection)).get('version');
    if (version !== INDEX_VERSION) refuse(`usage index of another version (${version ?? 'unknown'}; this iamtrim writes and reads version ${INDEX_VERSION})`);
  }
  if (options.create) {
    for (const statement of SCHEMA) await connection.run(statement);
    await connection.run(`INSERT INTO meta VALUES ('version', '${INDEX_VERSION}'), ('block_levels', '${BLOCK_LEVELS}') ON CONFLICT DO NOTHING`);
  }
  const meta = await readMeta(connection);
  const blockLevels = Number(meta.get('block_levels'));
  if (!Number.isInteger(blockLevels) || blockLevels < 0 || blockLevels > 30)
    refuse(`usage index without a valid block_levels entry (${meta.get('block_levels') ?? 'none'})`);
  return { connection, blockLevels, close };
}

/** Rows of a query as plain objects (numbers as JS numbers or strings, as DuckDB's JSON form gives). */
export async function queryRows<T = Record<string, unknown>>(connection: DuckDBConnection, sql: string): Promise<T[]> {
  return (await (await connection.run(sql)).getRowObjectsJson()) as T[];
}

/** Appends rows of plain values to `table`, each value cast to its column's type (null: NULL). */
export async function appendRows(connection: DuckDBConnection, table: string, rows: Iterable<ReadonlyArray<string | number | null>>): Promise<void> {
  const appender = await connection.createAppender(table);
  try {
    for (const row of rows) {
      for (const value of row) appender.appendValue(value);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** The `meta` table as a map; empty when the file has none (not an index, or an empty one). */
async function readMeta(connection: DuckDBConnection): Promise<Map<string, string>> {
  const tables = await queryRows(connection, `SELECT 1 FROM duckdb_tables() WHERE table_name = 'meta'`);
  if (tables.length === 0) return new Map();
  const rows = await queryRows(connection, `SELECT key, value FROM meta`);
  return new Map(rows.map((r) => [String(r['key']), String(r['value'])]));
}

/** A SQL string literal (file paths the index stores; everything else is bound or our own data). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const value = await work();
    await connection.run('COMMIT');
    return value;
  } catch (cause) {
    await connection.run('ROLLBACK');
    throw cause;
  }
}

/**
 * The usage index on disk: a DuckDB database holding a per-day, per-source-file rollup of the
 * usage query (the same call keys as a cold scan, so answers are identical for whole-day
 * windows), per-file statistics with the size and mtime each file had when read, and the files
 * that could not be read. Rows are kept per source file (`calls`) so that a file that changed
 * since it was indexed can replace exactly its own rows, and per day (`calls_day`, all files of
 * the day merged and folded) so that a query reads one small piece per day. Call groups are stored
 * by their `callKey` text, with S3 object keys folded (see `fold.ts`) per file and per day.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../../errors.js';

/**
 * Bumped when the tables change shape; an index of another version is refused with a message,
 * never misread. 2: call groups stored as `callKey` text, S3 object keys folded, `calls_day`.
 */
export const INDEX_VERSION = '2';


const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS files (path VARCHAR PRIMARY KEY, size BIGINT, mtime_ms DOUBLE, records BIGINT, valid_records BIGINT, first_seen VARCHAR, last_seen VARCHAR, indexed_at VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS skipped (path VARCHAR PRIMARY KEY, size BIGINT, mtime_ms DOUBLE, reason VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS calls (day VARCHAR, file VARCHAR, c_role VARCHAR, c_role_name VARCHAR, call VARCHAR, records BIGINT, first_seen VARCHAR, last_seen VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS calls_day (day VARCHAR, c_role VARCHAR, c_role_name VARCHAR, call VARCHAR, records BIGINT, first_seen VARCHAR, last_seen VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS dirty_days (day VARCHAR PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS coverage (day VARCHAR, file VARCHAR, event_source VARCHAR, event_category VARCHAR, records BIGINT)`,
];

export interface IndexHandle {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

/** Opens (creating when `create`) the index database and its tables. */
export async function openIndex(path: string, options: { create: boolean; threads?: number }): Promise<IndexHandle> {
  if (options.create) await mkdir(dirname(path), { recursive: true });
  const existed = existsSync(path);
  const instance = await DuckDBInstance.create(path, {
    threads: String(options.threads ?? 2),
    preserve_insertion_order: 'false',
    ...(options.create ? {} : { access_mode: 'READ_ONLY' }),
  });
  const connection = await instance.connect();
  if (existed) {
    const version = await indexVersion(connection);
    if (version !== INDEX_VERSION) {
      connection.closeSync();
      instance.closeSync();
      throw new InputError(`${path}: usage index of another version (${version ?? 'unknown'}; this iamtrim writes and reads version ${INDEX_VERSION})`, {
        hint: 'delete it and run `iamtrim index` again to rebuild it from the logs',
      });
    }
  }
  if (options.create) {
    for (const statement of SCHEMA) await connection.run(statement);
    await connection.run(`INSERT INTO meta VALUES ('version', '${INDEX_VERSION}') ON CONFLICT DO NOTHING`);
  }
  return {
    instance,
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Rows of a query as plain objects (numbers as JS numbers or strings, as DuckDB's JSON form gives). */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const result = await connection.run(sql);
  return (await result.getRowObjectsJson()) as Record<string, unknown>[];
}

/** The version an index file says it has, or undefined when it has no `meta` table. */
async function indexVersion(connection: DuckDBConnection): Promise<string | undefined> {
  const tables = await queryRows(connection, `SELECT 1 FROM information_schema.tables WHERE table_name = 'meta'`);
  if (tables.length === 0) return undefined;
  const rows = await queryRows(connection, `SELECT value FROM meta WHERE key = 'version'`);
  const value = rows[0]?.['value'];
  return typeof value === 'string' ? value : undefined;
}

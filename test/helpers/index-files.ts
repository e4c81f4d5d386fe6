/** Test fixtures for the usage index's DuckDB files. */
import { DuckDBInstance } from '@duckdb/node-api';

/** Writes, at `path`, an index that says it is of `version` and holds nothing else (for the refusal tests). */
export async function writeIndexOfVersion(path: string, version: number): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR); INSERT INTO meta VALUES ('version', '${version}')`);
  connection.closeSync();
  instance.closeSync();
}

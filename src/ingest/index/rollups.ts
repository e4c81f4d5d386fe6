/**
 * The usage index's rollups: the per-file call rows (`calls`) appended as folded pieces, and the
 * per-day (`calls_day`) and 2^k-day block (`calls_block`) tables rebuilt from them, once per run,
 * for the days it changed. Each rebuilt table equals one fold over its records (fold.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import nonResourceParams from '../../mapping/data/non-resource-params.json' with { type: 'json' };
import type { CallRow } from '../../model.js';
import { callFromKey, mergeCounters } from '../call-rows.js';
import { FOLDED_PARAM, foldCallMap } from '../fold.js';
import { dayNumber, dayString, isDay } from './day-blocks.js';
import { appendRows, inTransaction, queryRows } from './index-store.js';

export interface Piece {
  day: string;
  file: string;
  roleName: string | null;
  calls: Map<string, CallRow>;
  /** Stored rows the fold cannot change (`foldable`), by call key: never parsed, only merged (pieces read from the index). */
  plain?: Map<string, Pick<CallRow, 'roleArn' | 'count' | 'firstSeen' | 'lastSeen'>>;
}

/**
 * The request keys a stored call key must hold for `foldCallMap` to change its row, as they
 * appear in `callKey`'s JSON (`["name",`): the S3 object key and the non-resource keys. Rows with
 * none of them are only merged by key; a false positive (the text inside a value) costs a parse.
 */
const FOLD_MARKS = [...new Set([FOLDED_PARAM, ...nonResourceParams.rows.map((r) => r.param)])].map((p) => `[${JSON.stringify(p)},`);
const foldable = (key: string): boolean => FOLD_MARKS.some((mark) => key.includes(mark));

/** Appends folded call maps: per file to `calls` (no `level`), else to `calls_day` (level 0) or `calls_block`. */
export async function appendCalls(connection: DuckDBConnection, pieces: Iterable<Piece>, level?: number): Promise<void> {
  const table = level === undefined ? 'calls' : level === 0 ? 'calls_day' : 'calls_block';
  function* rows(): Generator<Array<string | number | null>> {
    for (const piece of pieces) {
      const head = level === undefined ? [piece.day, piece.file] : level === 0 ? [piece.day] : [level, piece.day];
      for (const calls of [piece.calls, piece.plain ?? []]) {
        for (const [key, row] of calls) yield [...head, row.roleArn, piece.roleName, key, row.count, row.firstSeen, row.lastSeen];
      }
    }
  }
  await appendRows(connection, table, rows());
}

/** The FROM ... WHERE clause of the stored block of `level` (`calls_day` for 0) starting at `day`. */
export function blockFrom(level: number, day: string): string {
  return level === 0 ? `FROM calls_day WHERE day = '${day}'` : `FROM calls_block WHERE level = ${level} AND day = '${day}'`;
}

/** The piece of `roleName` in `pieces`, created empty when missing. */
function pieceOf(pieces: Map<string, Piece>, day: string, roleName: string | null): Piece {
  const id = roleName ?? '\u0000';
  let piece = pieces.get(id);
  if (piece === undefined) pieces.set(id, (piece = { day, file: '', roleName, calls: new Map(), plain: new Map() }));
  return piece;
}

/** The rows of `from` (a FROM ... WHERE clause) as pieces of `day`, merged by role and call; rows the fold cannot change left unparsed. */
async function readPieces(connection: DuckDBConnection, day: string, from: string): Promise<Map<string, Piece>> {
  // Merged in DuckDB first: `calls` holds a call once per file it is in (a day of the 10M-event
  // bench: 13,946 rows, 8,545 calls).
  const rows = await queryRows<{ c_role: string; c_role_name: string | null; call: string; records: string | number; first_seen: string; last_seen: string }>(
    connection,
    `SELECT c_role, c_role_name, call, SUM(records) AS records, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen ${from} GROUP BY c_role, c_role_name, call`,
  );
  const pieces = new Map<string, Piece>();
  for (const r of rows) {
    const piece = pieceOf(pieces, day, r.c_role_name);
    const counters = { count: Number(r.records), firstSeen: r.first_seen, lastSeen: r.last_seen };
    if (foldable(r.call)) mergeCounters(piece.calls, r.call, { ...callFromKey(r.call), ...counters });
    else mergeCounters(piece.plain ?? new Map(), r.call, { roleArn: r.c_role, ...counters });
  }
  return pieces;
}

/**
 * Rebuilds, in one transaction, `calls_day` for every dirty day from the per-file rows (merged
 * across files, folded per role), and every block of `calls_block` holding one from its two halves
 * one level down. Depth first: a rebuilt half is merged into its parent from memory, an unchanged
 * half is read from the index, so only O(levels) blocks are held at once.
 */
export async function refreshDirtyDays(connection: DuckDBConnection, blockLevels: number): Promise<void> {
  const dirty = await queryRows<{ day: string }>(connection, `SELECT day FROM dirty_days`);
  const changed = dirty
    .map(({ day }) => day)
    .filter(isDay)
    .map(dayNumber);
  const holdsChanged = (start: number, size: number): boolean => changed.some((n) => n >= start && n < start + size);
  /** The rebuilt block of `level` starting at day number `start`, or undefined when it holds no changed day. */
  const rebuild = async (level: number, start: number): Promise<Map<string, Piece> | undefined> => {
    if (!holdsChanged(start, 2 ** level)) return undefined;
    const day = dayString(start);
    let pieces = new Map<string, Piece>();
    if (level === 0) {
      pieces = await readPieces(connection, day, `FROM calls WHERE day = '${day}'`);
      for (const piece of pieces.values()) foldCallMap(piece.calls);
    } else {
      const halves: Array<Map<string, Piece>> = [];
      for (const half of [start, start + 2 ** (level - 1)]) {
        halves.push((await rebuild(level - 1, half)) ?? (await readPieces(connection, dayString(half), blockFrom(level - 1, dayString(half)))));
      }
      for (const half of halves) {
        for (const piece of half.values()) {
          const merged = pieceOf(pieces, day, piece.roleName);
          for (const [key, row] of piece.calls) mergeCounters(merged.calls, key, row);
          for (const [key, row] of piece.plain ?? []) mergeCounters(merged.plain ?? new Map(), key, row);
        }
      }
      // A half alone is already folded (fold is idempotent): only two non-empty halves fold again.
      if (halves.every((half) => half.size > 0)) for (const piece of pieces.values()) foldCallMap(piece.calls);
    }
    await connection.run(`DELETE ${blockFrom(level, day)}`);
    await appendCalls(connection, pieces.values(), level);
    return pieces;
  };
  const size = 2 ** blockLevels;
  const tops = new Set(changed.map((n) => Math.floor(n / size) * size));
  await inTransaction(connection, async () => {
    for (const top of [...tops].sort((a, b) => a - b)) await rebuild(blockLevels, top);
    await connection.run(`DELETE FROM dirty_days`);
  });
}

/**
 * Records the days of `rows` as dirty, in the same transaction as the change to their per-file
 * rows. Their `calls_day` rows are rebuilt once at the end of the run (`refreshDirtyDays`), not
 * after every batch (a day spans many batches); a run that stops before that leaves them listed,
 * the next run rebuilds them first, and queries refuse an index with dirty days.
 */
export async function markDirty(connection: DuckDBConnection, rows: Iterable<{ day: string }>): Promise<void> {
  const days = new Set([...rows].map(({ day }) => day).filter(isDay));
  if (days.size === 0) return;
  await connection.run(`INSERT INTO dirty_days VALUES ${[...days].map((d) => `('${d}')`).join(', ')} ON CONFLICT DO NOTHING`);
}

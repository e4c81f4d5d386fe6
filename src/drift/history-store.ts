/**
 * The drift history: an embedded DuckDB file (default `.iamtrim/history.duckdb`). An adapter at the
 * edge: the use case never sees it; the CLI reads the previous run and the trend before, and
 * appends the new run after the report files are written.
 *
 * Layout (schema 1), kept compact because a role granted `*` has ~22k concrete actions:
 *   runs(run_id, run_at, window_start, window_end, source, iam_source, iam_data)
 *   role_runs(run_id, role_arn, …counts…, risk_rules, granted_set, used_set, unobservable_set)
 *   action_sets(set_hash, size, actions)  -- content-addressed, newline-joined sorted actions
 * Each distinct action set is stored once, keyed by its SHA-256: a grant that does not change
 * between runs, and every role granted `*`, costs one 32-character hash per run, not 22k rows.
 * Unused sets are not stored: they are granted minus used minus unobservable.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';
import type { HistoryView, RoleRecord, RunRecord } from './report.js';
import { openWorkingCopy } from '../util/atomic-file.js';

const SCHEMA_VERSION = '1';
/** Runs shown in the trend (the current one included). */
export const TREND_RUNS = 30;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, run_at VARCHAR NOT NULL, window_start VARCHAR, window_end VARCHAR,
     source VARCHAR, iam_source VARCHAR, iam_data VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS role_runs (run_id INTEGER NOT NULL, role_arn VARCHAR NOT NULL, role_name VARCHAR NOT NULL,
     service_linked BOOLEAN, events BIGINT, granted INTEGER, used INTEGER, unobservable INTEGER, unused INTEGER,
     risky_unused INTEGER, risk_rules VARCHAR, last_activity VARCHAR,
     granted_set VARCHAR, used_set VARCHAR, unobservable_set VARCHAR, PRIMARY KEY (run_id, role_arn))`,
  `CREATE TABLE IF NOT EXISTS action_sets (set_hash VARCHAR PRIMARY KEY, size INTEGER, actions VARCHAR)`,
];

export function setHash(joined: string): string {
  return createHash('sha256').update(joined).digest('hex').slice(0, 32);
}

function splitSet(joined: unknown): string[] {
  return typeof joined === 'string' && joined !== '' ? joined.split('\n') : [];
}

export interface HistoryStore {
  readonly path: string;
  /** The runs before this one: the previous run in full, the trend as counts. */
  read(trendRuns?: number): Promise<HistoryView>;
  append(run: RunRecord): Promise<void>;
  /** Row counts, to show (and test) that unchanged action sets are stored once. */
  stats(): Promise<{ runs: number; roleRuns: number; actionSets: number; storedActions: number }>;
  close(): void;
}

async function all(connection: DuckDBConnection, sql: string, values?: Record<string, string | number>): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql, values);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/**
 * Opens (creating if needed) the history file; an unreadable or foreign file is an InputError naming
 * it. The store works on a copy of the file (in `.<name>.<random>.tmp/` beside it) that `close` renames
 * over it once a run was appended, and removes otherwise: a drift run that fails or is interrupted
 * (Ctrl-C, SIGTERM) leaves the previous history byte for byte. Two drift runs at once on one
 * history each append to their own copy, and the last to finish wins.
 */
export async function openHistoryStore(path: string): Promise<HistoryStore> {
  await mkdir(dirname(path), { recursive: true });
  const copy = openWorkingCopy(path);
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(copy.path, { threads: '1' });
    connection = await instance.connect();
  } catch (cause) {
    copy.discard();
    const detail = cause instanceof Error ? (cause.message.split('\n')[0] ?? '').replaceAll(copy.path, path) : String(cause);
    throw new InputError(`--history ${path}: cannot open the history store (${detail})`, {
      hint: 'another drift run may hold it, or the file is not an iamtrim history; pass another --history FILE',
      cause,
    });
  }
  for (const sql of SCHEMA) await connection.run(sql);
  const version = await all(connection, `SELECT value FROM meta WHERE key = 'schema'`);
  if (version.length === 0) await connection.run(`INSERT INTO meta VALUES ('schema', '${SCHEMA_VERSION}')`);
  else if (version[0]?.['value'] !== SCHEMA_VERSION) {
    connection.closeSync();
    instance.closeSync();
    copy.discard();
    throw new InputError(`--history ${path}: history schema ${String(version[0]?.['value'])} is not ${SCHEMA_VERSION}`, {
      hint: 'this iamtrim cannot read that history; pass a new --history FILE',
    });
  }

  async function read(trendRuns = TREND_RUNS - 1): Promise<HistoryView> {
    const count = await all(connection, `SELECT count(*)::INTEGER AS n, max(run_id) AS last FROM runs`);
    const runs = Number(count[0]?.['n'] ?? 0);
    if (runs === 0) return { store: path, runs: 0, previous: null, trend: [] };
    const last = Number(count[0]?.['last']);
    const [run] = await all(connection, `SELECT * FROM runs WHERE run_id = $id`, { id: last });
    const rows = await all(
      connection,
      `SELECT rr.*, g.actions AS granted_actions, u.actions AS used_actions, o.actions AS unobservable_actions
         FROM role_runs rr
         LEFT JOIN action_sets g ON g.set_hash = rr.granted_set
         LEFT JOIN action_sets u ON u.set_hash = rr.used_set
         LEFT JOIN action_sets o ON o.set_hash = rr.unobservable_set
        WHERE rr.run_id = $id ORDER BY rr.role_arn`,
      { id: last },
    );
    const roles: RoleRecord[] = rows.map((r) => ({
      arn: String(r['role_arn']),
      name: String(r['role_name']),
      serviceLinked: r['service_linked'] === true,
      events: Number(r['events']),
      granted: splitSet(r['granted_actions']),
      used: splitSet(r['used_actions']),
      unobservable: splitSet(r['unobservable_actions']),
      unusedCount: Number(r['unused']),
      riskRules: splitSet(r['risk_rules']),
      riskyUnused: Number(r['risky_unused']),
      lastActivity: typeof r['last_activity'] === 'string' ? r['last_activity'] : null,
    }));
    const previous: RunRecord = {
      at: String(run?.['run_at']),
      window: { start: String(run?.['window_start']), end: String(run?.['window_end']) },
      source: String(run?.['source']),
      iamSource: String(run?.['iam_source']),
      iamData: String(run?.['iam_data']),
      roles,
    };
    const trendRows = await all(
      connection,
      `SELECT r.run_id, r.run_at, rr.role_arn, rr.granted, rr.used FROM runs r JOIN role_runs rr USING (run_id)
        WHERE r.run_id IN (SELECT run_id FROM runs ORDER BY run_id DESC LIMIT $n)
        ORDER BY r.run_id, rr.role_arn`,
      { n: trendRuns },
    );
    const trend: HistoryView['trend'] = [];
    let currentId = -1;
    for (const row of trendRows) {
      if (Number(row['run_id']) !== currentId) {
        currentId = Number(row['run_id']);
        trend.push({ at: String(row['run_at']), roles: new Map() });
      }
      trend[trend.length - 1]?.roles.set(String(row['role_arn']), { granted: Number(row['granted']), used: Number(row['used']) });
    }
    return { store: path, runs, previous, trend };
  }

  let appended = false;

  async function append(run: RunRecord): Promise<void> {
    const sets = new Map<string, { size: number; joined: string }>();
    const hashOf = (actions: readonly string[]): string => {
      const joined = actions.join('\n');
      const hash = setHash(joined);
      sets.set(hash, { size: actions.length, joined });
      return hash;
    };
    await connection.run('BEGIN TRANSACTION');
    try {
      const [next] = await all(connection, `SELECT coalesce(max(run_id), 0)::INTEGER + 1 AS id FROM runs`);
      const runId = Number(next?.['id']);
      await connection.run(`INSERT INTO runs VALUES ($id, $at, $ws, $we, $source, $iam, $data)`, {
        id: runId,
        at: run.at,
        ws: run.window.start,
        we: run.window.end,
        source: run.source,
        iam: run.iamSource,
        data: run.iamData,
      });
      const roles = await connection.createAppender('role_runs');
      for (const role of run.roles) {
        roles.appendInteger(runId);
        roles.appendVarchar(role.arn);
        roles.appendVarchar(role.name);
        roles.appendBoolean(role.serviceLinked);
        roles.appendBigInt(BigInt(role.events));
        roles.appendInteger(role.granted.length);
        roles.appendInteger(role.used.length);
        roles.appendInteger(role.unobservable.length);
        roles.appendInteger(role.unusedCount);
        roles.appendInteger(role.riskyUnused);
        roles.appendVarchar(role.riskRules.join('\n'));
        if (role.lastActivity === null) roles.appendNull();
        else roles.appendVarchar(role.lastActivity);
        roles.appendVarchar(hashOf(role.granted));
        roles.appendVarchar(hashOf(role.used));
        roles.appendVarchar(hashOf(role.unobservable));
        roles.endRow();
      }
      roles.closeSync();
      await connection.run(`CREATE TEMP TABLE IF NOT EXISTS staged_sets (set_hash VARCHAR, size INTEGER, actions VARCHAR)`);
      await connection.run(`DELETE FROM staged_sets`);
      const staged = await connection.createAppender('staged_sets', 'main', 'temp');
      for (const [hash, set] of sets) {
        staged.appendVarchar(hash);
        staged.appendInteger(set.size);
        staged.appendVarchar(set.joined);
        staged.endRow();
      }
      staged.closeSync();
      await connection.run(`INSERT INTO action_sets SELECT s.* FROM staged_sets s ANTI JOIN action_sets a ON a.set_hash = s.set_hash`);
      await connection.run('COMMIT');
      await connection.run('CHECKPOINT');
      appended = true;
    } catch (error) {
      await connection.run('ROLLBACK');
      throw error;
    }
  }

  async function stats(): Promise<{ runs: number; roleRuns: number; actionSets: number; storedActions: number }> {
    const [row] = await all(
      connection,
      `SELECT (SELECT count(*) FROM runs)::INTEGER AS runs, (SELECT count(*) FROM role_runs)::INTEGER AS role_runs,
              (SELECT count(*) FROM action_sets)::INTEGER AS sets, (SELECT coalesce(sum(size), 0) FROM action_sets)::INTEGER AS actions`,
    );
    return {
      runs: Number(row?.['runs']),
      roleRuns: Number(row?.['role_runs']),
      actionSets: Number(row?.['sets']),
      storedActions: Number(row?.['actions']),
    };
  }

  return {
    path,
    read,
    append,
    stats,
    close: () => {
      connection.closeSync();
      instance.closeSync();
      if (appended) copy.commit();
      else copy.discard();
    },
  };
}

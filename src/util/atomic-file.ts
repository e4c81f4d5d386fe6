/**
 * Files replaced whole or not at all. Every output iamtrim writes (`--out`, drift reports) and every
 * database it updates (the usage index, the drift history) is written beside the target (same
 * folder, so the rename stays on one file system) and renamed over it, so a run that fails, is
 * interrupted (Ctrl-C, SIGTERM) or loses its stdout leaves the previous file byte for byte. The
 * temporary files and folders a run is writing are tracked here; `removePendingTemps` deletes them
 * when the process exits early (see `installProcessHandlers` in `src/cli/io.ts`).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** DuckDB keeps uncheckpointed changes in a write-ahead log beside the database file. */
const SIDE_FILES = ['.wal'] as const;

const pending = new Set<string>();

/** A fresh temporary path beside `path`: `.<name>.<random>.tmp`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Registers a temporary file or folder for removal if the process exits before it is renamed. */
export function trackTemp(path: string): () => void {
  pending.add(path);
  return () => {
    pending.delete(path);
  };
}

/**
 * Removes a temporary file or folder. A folder is first renamed away: a database thread still
 * opening a file in it by its old path (the process is exiting under it) then fails to find the
 * folder instead of re-creating the file between the removal of its contents and of the folder.
 */
function removeQuietly(path: string): void {
  let target = path;
  try {
    const gone = `${path}.gone`;
    renameSync(path, gone);
    target = gone;
  } catch {
    // a file, or already gone: removed by its own name
  }
  try {
    rmSync(target, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // best effort: the process is exiting
  }
}

/** Removes every tracked temporary file and folder; synchronous, for `process.on('exit')`. */
export function removePendingTemps(): void {
  for (const path of pending) removeQuietly(path);
  pending.clear();
}

/**
 * A working copy of a database file: `work` gets the path of a copy of `path` (or of nothing, when
 * `path` does not exist yet), updates it and closes it; the copy then replaces `path` in one rename
 * (`commit`), or is removed. When `work` throws, or the process is interrupted, the copy is removed
 * and `path` is unchanged. `work` decides, through its result's `commit`, whether its changes are
 * kept (an update that also reports an error keeps what it recorded).
 */
export async function withWorkingCopy<T>(path: string, work: (copy: string) => Promise<{ value: T; commit: boolean }>): Promise<T> {
  const copy = openWorkingCopy(path);
  try {
    const { value, commit } = await work(copy.path);
    if (commit) copy.commit();
    else copy.discard();
    return value;
  } catch (cause) {
    copy.discard();
    throw cause;
  }
}

export interface WorkingCopy {
  /** The copy to open and update. */
  path: string;
  /** Renames the (closed) copy over the original, with its side files. */
  commit(): void;
  /** Removes the copy; the original stays as it was. */
  discard(): void;
}

/**
 * Copies a database file (and its side files) into a private folder beside it,
 * `.<name>.<random>.tmp/<name>`. The folder, not only the file, is what an interrupted run removes:
 * a database engine thread still running while the process exits cannot re-create a file in a
 * folder that no longer exists. The copy is synchronous, so a signal arriving during it is handled
 * after it.
 */
export function openWorkingCopy(path: string): WorkingCopy {
  mkdirSync(dirname(path), { recursive: true });
  const folder = tempPathFor(path);
  const untrack = trackTemp(folder);
  mkdirSync(folder, { mode: 0o700 });
  const copy = join(folder, basename(path));
  for (const side of ['', ...SIDE_FILES]) if (existsSync(path + side)) copyFileSync(path + side, copy + side);
  return {
    path: copy,
    commit: () => {
      commitWorkingCopy(copy, path);
      removeQuietly(folder);
      untrack();
    },
    discard: () => {
      removeQuietly(folder);
      untrack();
    },
  };
}

/**
 * Renames a closed working copy over its target, with its side files: a WAL the copy still has
 * (changes DuckDB did not checkpoint on close) goes with it, and a stale one beside the target (from
 * a killed run of an older iamtrim; it was copied into the working copy and replayed there) is
 * removed, since replayed again onto the new file it would corrupt it.
 */
function commitWorkingCopy(copy: string, path: string): void {
  renameSync(copy, path);
  for (const side of SIDE_FILES) {
    if (existsSync(copy + side)) renameSync(copy + side, path + side);
    else rmSync(path + side, { force: true });
  }
}

/**
 * Finds CloudTrail log files under a directory: the S3 delivery layout
 * (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, with or without an organization
 * id level), flat folders, plain `.json`, JSON arrays and JSON lines. Digest and Insights files are
 * skipped. Files whose path carries a date outside the padded window are pruned unread.
 */
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { InputError } from '../../errors.js';
import type { DuplicateFile, TimeWindow } from '../../model.js';
import { compareText } from '../../util/compare-text.js';
import { errorCode } from '../../util/error-code.js';
import { addDays } from '../index/day-blocks.js';

export interface LogFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** Delivery date from the S3 layout or the delivery file name (`YYYY-MM-DD`), when present. */
  pathDate: string | null;
}

export interface Discovery {
  /** Files to read, sorted by path. */
  files: LogFile[];
  /** Log files found but pruned because their delivery date is outside the padded window. */
  pruned: number;
  /** Digest/Insights files and other non-log files passed over. */
  ignored: number;
  /** Earliest and latest delivery dates among all log files found (pruned ones included). */
  pathDates: { first: string | null; last: string | null };
  /** Second copies of a delivery file (`X.json` beside `X.json.gz`), not read: each is read once. */
  duplicates: DuplicateFile[];
}

const LOG_FILE = /\.(json|jsonl|ndjson|log)(\.gz)?$/i;
const LAYOUT_DATE = /(?:^|[\\/])(\d{4})[\\/](\d{2})[\\/](\d{2})(?:[\\/]|$)/;
const FILE_NAME_DATE = /_CloudTrail_[^_]+_(\d{4})(\d{2})(\d{2})T\d{4}Z_/;

const SKIPPED_FOLDERS = [`${sep}CloudTrail-Digest${sep}`, `${sep}CloudTrail-Insight${sep}`];

function isSkippedPath(path: string): boolean {
  return SKIPPED_FOLDERS.some((folder) => path.includes(folder)) || /_CloudTrail-(Digest|Insight)_/.test(basename(path));
}

/** The delivery date a file's path or name carries, if any. */
export function deliveryDate(root: string, path: string): string | null {
  const byName = FILE_NAME_DATE.exec(basename(path));
  if (byName) return `${byName[1]}-${byName[2]}-${byName[3]}`;
  const byLayout = LAYOUT_DATE.exec(relative(root, path));
  return byLayout ? `${byLayout[1]}-${byLayout[2]}-${byLayout[3]}` : null;
}

/**
 * Lists the log files to read for a window. Delivery can lag event time, so the path-date filter
 * is padded by a day on each side; the query still filters on eventTime. The file system calls
 * are synchronous: one at a time through promises cost ~0.25 ms a file (0.15 s of a 360-file
 * scan's start), and nothing else runs while a scan lists its files.
 */
export async function discoverLogFiles(root: string, window: TimeWindow | null): Promise<Discovery> {
  let rootStat: ReturnType<typeof statSync>;
  try {
    rootStat = statSync(root);
  } catch (cause) {
    throw new InputError(`--logs ${root}: cannot read it (${errorCode(cause)})`, {
      hint: 'pass the folder you synced with `aws s3 sync s3://<trail-bucket>/AWSLogs/ DIR` or a log file',
      cause,
    });
  }
  const found: LogFile[] = [];
  let ignored = 0;
  if (rootStat.isFile()) {
    found.push({ path: root, size: rootStat.size, mtimeMs: rootStat.mtimeMs, pathDate: deliveryDate(root, root) });
  } else {
    const seenDirs = new Set<string>();
    const walk = (dir: string): void => {
      const real = realpathSync(dir);
      if (seenDirs.has(real)) return; // a symlink loop or a second link to the same folder
      seenDirs.add(real);
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (cause) {
        throw new InputError(`${dir}: cannot list this folder (${errorCode(cause)})`, {
          hint: 'check its permissions, or point --logs at a folder you can read',
          cause,
        });
      }
      entries.sort((a, b) => compareText(a.name, b.name));
      for (const entry of entries) {
        const path = join(dir, entry.name);
        let target: Dirent | Stats = entry;
        if (entry.isSymbolicLink()) {
          try {
            target = statSync(path);
          } catch {
            ignored++; // dangling link
            continue;
          }
        }
        if (target.isDirectory()) {
          if (isSkippedPath(path + sep)) ignored++;
          else walk(path);
        } else if (target.isFile()) {
          if (!LOG_FILE.test(entry.name) || isSkippedPath(path)) ignored++;
          else {
            const { size, mtimeMs } = statSync(path);
            found.push({ path, size, mtimeMs, pathDate: deliveryDate(root, path) });
          }
        }
      }
    };
    walk(root);
  }
  const { unique, duplicates } = withoutDuplicates(found);
  const dates = unique
    .map((f) => f.pathDate)
    .filter((d): d is string => d !== null)
    .sort(compareText);
  const low = window ? addDays(window.start.slice(0, 10), -1) : null;
  const high = window ? addDays(window.end.slice(0, 10), 1) : null;
  const files = unique.filter((f) => f.pathDate === null || low === null || high === null || (f.pathDate >= low && f.pathDate <= high));
  return {
    files: files.sort((a, b) => compareText(a.path, b.path)),
    pruned: unique.length - files.length,
    ignored,
    pathDates: { first: dates[0] ?? null, last: dates[dates.length - 1] ?? null },
    duplicates,
  };
}

/**
 * One file per delivery: CloudTrail names each delivery file uniquely (account, region, time and a
 * random id), so two files with one delivery name, here or in another folder, with or without
 * `.gz` (a copy unpacked beside the original), hold the same records; counting both would double
 * every call in them. Other files are duplicates only as `X.json` beside `X.json.gz`. The gzip
 * (CloudTrail's own form) is read, else the first by path.
 */
function withoutDuplicates(files: readonly LogFile[]): { unique: LogFile[]; duplicates: DuplicateFile[] } {
  const byIdentity = new Map<string, LogFile[]>();
  for (const file of files) {
    const plain = file.path.replace(/\.gz$/i, '');
    const identity = isDeliveryFile(file.path) ? `delivery:${basename(plain)}` : `path:${plain}`;
    byIdentity.set(identity, [...(byIdentity.get(identity) ?? []), file]);
  }
  const unique: LogFile[] = [];
  const duplicates: DuplicateFile[] = [];
  for (const copies of byIdentity.values()) {
    const [kept, ...others] = copies.sort((a, b) => Number(/\.gz$/i.test(b.path)) - Number(/\.gz$/i.test(a.path)) || compareText(a.path, b.path));
    if (kept === undefined) continue;
    unique.push(kept);
    for (const other of others) duplicates.push({ file: other.path, sameAs: kept.path });
  }
  return { unique, duplicates: duplicates.sort((a, b) => compareText(a.file, b.file)) };
}

/** How a file holds its records: one `{"Records":[...]}` object, a JSON array, or JSON lines. */
export type FileShape = 'wrapped' | 'array' | 'lines';

const DELIVERY_NAME = /_CloudTrail_[^_]+_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json(\.gz)?$/;

/** CloudTrail's own delivery files (by name) are always `{"Records":[...]}`. */
export function isDeliveryFile(path: string): boolean {
  return DELIVERY_NAME.test(path);
}

/** The shape of any other file, from the start of its (decompressed) text. */
export function shapeOfHead(head: string): FileShape {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'array';
  if (/^\{\s*"Records"\s*:/.test(text)) return 'wrapped';
  return 'lines';
}

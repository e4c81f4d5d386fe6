/** Builds the usage source and the IAM snapshot a command's flags ask for. */
import { UsageError } from '../errors.js';
import { readIamSnapshotFile } from '../iam/snapshot-file.js';
import { localLogsSource, type ScanProgress } from '../ingest/local/duckdb-source.js';
import type { UsageSource } from '../ingest/source.js';
import type { IamSnapshot } from '../model.js';
import { bytes, count } from '../render/format.js';
import type { CliIo } from './io.js';
import type { SourceOptions } from './options.js';

/** Draws scan progress in place on a terminal; stays silent when stderr is a file or pipe. */
export function progressPrinter(io: CliIo): ((p: ScanProgress) => void) | undefined {
  if (!io.interactive) return undefined;
  return (p) => {
    const pct = p.bytes === 0 ? 100 : Math.floor((100 * p.bytesDone) / p.bytes);
    io.err(
      `\rscanning ${count(p.filesDone)}/${count(p.files)} log files (${pct}%, ${bytes(p.bytesDone)}), ${count(p.records)} records`,
    );
    if (p.filesDone === p.files) io.err('\n');
  };
}

export function buildUsageSource(options: SourceOptions, io: CliIo): UsageSource {
  if (options.logs === undefined) {
    throw new UsageError('no usage source: pass --logs DIR', {
      hint: 'sync the trail first: aws s3 sync s3://<trail-bucket>/AWSLogs/ ./logs',
    });
  }
  const onProgress = progressPrinter(io);
  return localLogsSource({
    logs: options.logs,
    skipBadFiles: options.skipBadFiles === true,
    ...(onProgress !== undefined ? { onProgress } : {}),
  });
}

export async function buildIamSnapshot(options: { iam?: string }): Promise<IamSnapshot> {
  if (options.iam === undefined) {
    throw new UsageError('no IAM input: pass --iam FILE', {
      hint: 'create it with `aws iam get-account-authorization-details > iam.json`',
    });
  }
  return readIamSnapshotFile(options.iam);
}

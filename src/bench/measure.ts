/**
 * Measurement helpers for `npm run bench`: run a child process and read its wall time and peak
 * RSS, and the hardware bound (plain `gzip -dc` of the same files). Kept apart from the bench
 * driver so the pure parts (file grouping, the ratio, the report table) can be tested.
 */
import { spawn } from 'node:child_process';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Measured {
  seconds: number;
  /** Peak resident set size of the child, bytes (VmHWM), or null when /proc is not available. */
  peakRssBytes: number | null;
  exitCode: number;
}

/** `/proc/loadavg`'s first three figures, so every figure says how busy the machine was. */
export async function loadAverage(): Promise<string> {
  try {
    return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

async function readPeakRss(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/**
 * Runs `command args` with stdout to nowhere, polling VmHWM (the kernel's own peak RSS, so polling
 * only has to catch the process before it exits, not its peak).
 */
export async function measureProcess(
  command: string,
  args: readonly string[],
  okCodes: readonly number[] = [0],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measured> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  let peak: number | null = null;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    void readPeakRss(child.pid).then((rss) => {
      if (rss !== null && (peak === null || rss > peak)) peak = rss;
    });
  }, 50);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!okCodes.includes(exitCode)) throw new Error(`${command} ${args.slice(0, 3).join(' ')} … exited ${exitCode}: ${stderr.trim().split('\n')[0] ?? ''}`);
  return { seconds, peakRssBytes: peak, exitCode };
}

/** Every delivery file (`.json.gz`) under `dir`, digests excluded, sorted. */
export async function listDeliveryFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz') && !e.name.includes('CloudTrail-Digest'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Uncompressed size of a single-member gzip file: its trailer's ISIZE (mod 2^32; files are far smaller). */
export async function gzipInflatedSize(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/** Splits files into `parts` groups of about equal compressed size (largest first, into the lightest group). */
export function splitBySize(files: ReadonlyArray<{ path: string; size: number }>, parts: number): string[][] {
  const groups = Array.from({ length: Math.max(1, parts) }, () => ({ size: 0, paths: [] as string[] }));
  for (const file of [...files].sort((a, b) => b.size - a.size)) {
    const lightest = groups.reduce((min, g) => (g.size < min.size ? g : min));
    lightest.paths.push(file.path);
    lightest.size += file.size;
  }
  return groups.map((g) => g.paths.sort()).filter((paths) => paths.length > 0);
}

/** `gzip -dc` over a group of files, in argument chunks that stay below ARG_MAX, one after another. */
async function gunzipGroup(paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += 500) await measureProcess('gzip', ['-dc', ...paths.slice(i, i + 500)]);
}

/** Wall time of decompressing every file with `processes` concurrent `gzip -dc` processes. */
export async function measureDecompression(files: ReadonlyArray<{ path: string; size: number }>, processes: number): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(splitBySize(files, processes).map((group) => gunzipGroup(group)));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Wall time of decompressing every file with `processes` concurrent `libdeflate-gunzip -c` processes, or null when it is not installed. */
export async function measureLibdeflate(files: ReadonlyArray<{ path: string; size: number }>, processes: number): Promise<number | null> {
  try {
    await measureProcess('libdeflate-gunzip', ['-V']);
  } catch {
    return null;
  }
  const started = process.hrtime.bigint();
  await Promise.all(
    splitBySize(files, processes).map(async (group) => {
      for (let i = 0; i < group.length; i += 500) await measureProcess('libdeflate-gunzip', ['-c', ...group.slice(i, i + 500)]);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The middle value (the lower of the two middles for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

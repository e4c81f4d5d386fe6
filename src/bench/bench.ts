/**
 * `npm run bench [-- --events 1000000,10000000 --days 90]`: a benchmark, not a timed test.
 * For each volume it generates the demo account once (kept under bench-data/), then, on the same
 * files: the hardware bound (`gzip -dc` with one process and one per core, `libdeflate-gunzip` per core), the cold `usage` (all roles
 * `--runs` times interleaved with the bound and reported by the median, also from the installed `npm pack` tarball; one role; and with
 * --reference-up-to N the reference path a machine without the native walker takes) and
 * `minimize` scans (wall time, peak RSS of the CLI child), building the usage index and a
 * `minimize --index` over the window. It prints a table and rewrites the generated section of
 * docs/performance.md, with the machine description and the load average of every run. Rows of
 * volumes not measured in a run are kept from bench-data/results.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { walkerDescription } from '../ingest/local/stream/record-index.js';
import { gzipInflatedSize, listDeliveryFiles, loadAverage, measureDecompression, measureLibdeflate, measureProcess, median, type Measured } from './measure.js';
import { installTarball, type InstalledTarball } from './tarball.js';
import { renderBenchSection, replaceBenchSection, type BenchRow } from './report.js';

const NOW = '2026-03-01T00:00:00Z';
const ROLE = 'app-api';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000,10000000' },
      days: { type: 'string', default: '90' },
      data: { type: 'string', default: 'bench-data' },
      doc: { type: 'string', default: 'docs/performance.md' },
      // minimize's policy stage grows faster than linearly in distinct resources; skip it to measure the scan at volume.
      'skip-minimize': { type: 'boolean', default: false },
      // The reference path (IAMTRIM_NATIVE=0: strict-parse.ts and JSON.parse per record, zlib) on the same files, for
      // volumes up to this many events (several times slower, so not at 10M by default).
      'reference-up-to': { type: 'string', default: '0' },
      // Keep an existing bench-data/index-N.duckdb instead of timing a fresh build (the build at
      // 10M takes many minutes); the update, usage and minimize are still measured on it.
      'reuse-index': { type: 'boolean', default: false },
      // The bound (gzip -dc and libdeflate-gunzip on every core) and the cold all-roles scan are
      // measured this many times, interleaved, and reported by their median.
      runs: { type: 'string', default: '3' },
      // The installed tarball (npm pack, no C compiler on PATH) against the checkout, for volumes up to this many events.
      'tarball-up-to': { type: 'string', default: '1000000' },
    },
    strict: true,
  });
  const volumes = values.events.split(',').map((v) => Number(v.replace(/_/g, '')));
  const days = values.days;
  const cores = cpus().length;
  const node = process.execPath;
  const bin = resolve('dist/bin.js');
  const rows: BenchRow[] = [];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const runs = Math.max(1, Number(values.runs));
  const tarballUpTo = Number(values['tarball-up-to']);
  let tarball: InstalledTarball | null = null;
  if (volumes.some((v) => v <= tarballUpTo)) {
    tarball = await installTarball(resolve('.'), resolve(values.data, 'tarball'));
    // The installed package must run the native walker from its prebuilt binary, or the comparison means nothing.
    const check = spawnSync(
      node,
      [
        tarball.bin,
        'usage',
        '--all-roles',
        '--logs',
        resolve('fixtures/lambda-s3-dynamodb/logs'),
        '--days',
        '30',
        '--end',
        '2026-10-22T00:00:00Z',
        '--verbose',
      ],
      {
        env: { ...process.env, PATH: tarball.path },
        encoding: 'utf8',
      },
    );
    if (check.status !== 0 || !check.stderr.includes('native walker'))
      throw new Error(`the installed tarball did not run the native walker: ${check.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
  }

  for (const events of volumes) {
    const dir = resolve(values.data, `demo-${events}-${days}d`);
    const manifestPath = join(dir, 'manifest.json');
    let generateSeconds: number | null = null;
    if (!existsSync(manifestPath)) {
      log(`generating ${events} events over ${days} days into ${dir} (load ${await loadAverage()})`);
      const run = await measureProcess(node, [resolve('dist/demo/generate-cli.js'), '--out', dir, '--events', String(events), '--days', days, '--now', NOW]);
      generateSeconds = run.seconds;
    }
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { events: number; duplicateRecords: number; noiseEvents: number };
    const records = manifest.events + manifest.duplicateRecords;
    const logs = join(dir, 'logs');
    const paths = await listDeliveryFiles(logs);
    const files = await Promise.all(paths.map(async (path) => ({ path, size: (await stat(path)).size })));
    const compressed = files.reduce((s, f) => s + f.size, 0);
    let inflated = 0;
    for (const f of files) inflated += await gzipInflatedSize(f.path);
    const sizes = files.map((f) => f.size).sort((a, b) => a - b);

    const window = ['--days', days, '--end', NOW];
    const loads: string[] = [];
    const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      const load = await loadAverage();
      loads.push(`${label} ${load}`);
      log(`${events}: ${label} (load ${load})`);
      return run();
    };
    const gzipOne = await timed('gzip x1', () => measureDecompression(files, 1));
    // Interleaved, so load that comes and goes falls on the bound and the scan alike.
    const gzipAllRuns: number[] = [];
    const libdeflateRuns: number[] = [];
    const usageRuns: Measured[] = [];
    const tarballRuns: Measured[] = [];
    for (let run = 1; run <= runs; run++) {
      gzipAllRuns.push(await timed(`gzip x${cores} #${run}`, () => measureDecompression(files, cores)));
      const libdeflate = await timed(`libdeflate-gunzip x${cores} #${run}`, () => measureLibdeflate(files, cores));
      if (libdeflate !== null) libdeflateRuns.push(libdeflate);
      usageRuns.push(
        await timed(`usage #${run}`, () =>
          measureProcess(node, [bin, 'usage', '--all-roles', '--logs', logs, ...window, '--out', join(values.data, `usage-${events}.json`)]),
        ),
      );
      const installed = events <= tarballUpTo ? tarball : null;
      if (installed !== null) {
        tarballRuns.push(
          await timed(`usage, installed tarball #${run}`, () =>
            measureProcess(
              node,
              [installed.bin, 'usage', '--all-roles', '--logs', logs, ...window, '--out', join(values.data, `usage-tarball-${events}.json`)],
              [0],
              { ...process.env, PATH: installed.path },
            ),
          ),
        );
      }
    }
    const usage = medianRun(usageRuns);
    const usageRole = await timed('usage --role', () =>
      measureProcess(node, [bin, 'usage', '--role', ROLE, '--logs', logs, ...window, '--out', join(values.data, `usage-role-${events}.json`)]),
    );
    const usageReference =
      events > Number(values['reference-up-to'])
        ? null
        : await timed('usage, reference path', () =>
            measureProcess(node, [bin, 'usage', '--all-roles', '--logs', logs, ...window, '--out', join(values.data, `usage-reference-${events}.json`)], [0], {
              ...process.env,
              IAMTRIM_NATIVE: '0',
            }),
          );
    const skipMinimize = values['skip-minimize'] === true;
    const minimize = skipMinimize
      ? null
      : await timed('minimize', () =>
          measureProcess(
            node,
            [
              bin,
              'minimize',
              '--role',
              ROLE,
              '--iam',
              join(dir, 'iam.json'),
              '--logs',
              logs,
              ...window,
              '--format',
              'json',
              '--out',
              join(values.data, `minimize-${events}.json`),
            ],
            [0, 1],
          ),
        );
    const indexFile = join(values.data, `index-${events}.duckdb`);
    let indexBuild: Awaited<ReturnType<typeof measureProcess>> | null = null;
    let indexed: Awaited<ReturnType<typeof measureProcess>> | null = null;
    let indexNoop: Awaited<ReturnType<typeof measureProcess>> | null = null;
    let indexedUsage: Awaited<ReturnType<typeof measureProcess>> | null = null;
    if (existsSync(resolve('dist/cli/commands/index.js'))) {
      if (values['reuse-index'] !== true || !existsSync(indexFile)) {
        await import('node:fs/promises').then((fs) => fs.rm(indexFile, { force: true }));
        indexBuild = await timed('index build', () => measureProcess(node, [bin, 'index', '--logs', logs, '--index', indexFile]));
      }
      indexNoop = await timed('index update, no new files', () => measureProcess(node, [bin, 'index', '--logs', logs, '--index', indexFile]));
      indexedUsage = await timed('usage --role --index', () =>
        measureProcess(node, [bin, 'usage', '--role', ROLE, '--index', indexFile, ...window, '--out', join(values.data, `usage-index-${events}.json`)]),
      );
      if (!skipMinimize)
        indexed = await timed('minimize --index', () =>
          measureProcess(
            node,
            [
              bin,
              'minimize',
              '--role',
              ROLE,
              '--iam',
              join(dir, 'iam.json'),
              '--index',
              indexFile,
              ...window,
              '--format',
              'json',
              '--out',
              join(values.data, `minimize-index-${events}.json`),
            ],
            [0, 1],
          ),
        );
    }
    rows.push({
      events: records,
      files: files.length,
      compressedBytes: compressed,
      inflatedBytes: inflated,
      medianFileBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
      maxFileBytes: sizes[sizes.length - 1] ?? 0,
      generateSeconds,
      gzipOneSeconds: gzipOne,
      gzipAllSeconds: median(gzipAllRuns),
      gzipAllRuns,
      libdeflateAllRuns: libdeflateRuns.length === 0 ? null : libdeflateRuns,
      usage,
      usageRuns: usageRuns.map((m) => m.seconds),
      usageTarballRuns: tarballRuns.length === 0 ? null : tarballRuns,
      usageRole,
      usageReference,
      minimize,
      indexBuild,
      indexNoop,
      indexedMinimize: indexed,
      indexedUsage,
      loads,
    });
  }

  const walker = walkerDescription();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${osType()} ${release()}, Node ${process.version}; stream engine with the ${walker}`;
  // Rows of volumes not measured in this run are kept from the last run that measured them
  // (bench-data/results.json), so one volume can be re-measured without re-running the others.
  const resultsPath = join(values.data, 'results.json');
  const previous = existsSync(resultsPath) ? (JSON.parse(await readFile(resultsPath, 'utf8')) as BenchRow[]) : [];
  const measured = new Set(rows.map((r) => r.events));
  const all = [...previous.filter((r) => !measured.has(r.events)), ...rows].sort((a, b) => a.events - b.events);
  await writeFile(resultsPath, `${JSON.stringify(all, null, 2)}\n`);
  const section = renderBenchSection(all, machine, cores);
  process.stdout.write(section);
  const doc = resolve(values.doc);
  const before = existsSync(doc) ? await readFile(doc, 'utf8') : '# Performance\n';
  await writeFile(doc, replaceBenchSection(before, section));
  log(`wrote ${doc}`);
}

/** The run with the median wall time. */
function medianRun(measured: readonly Measured[]): Measured {
  const sorted = [...measured].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

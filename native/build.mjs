// Builds the native record locator (scan.h, scan-*.c) and gunzip (gunzip.c, vendored libdeflate) with node-gyp when it is missing or older than its
// sources; `npm run build` (and so `npm install`, `npm run demo`, `npm pack`) calls it. Without a
// C toolchain the build says so and scans take the reference path (same results, slower): it
// never fails the build. IAMTRIM_NATIVE=0 skips it.
//
// The built module is also copied to prebuilds/<platform>-<arch>[-musl]/, which the package
// ships (package.json "files"), so an install from the tarball on a machine without a compiler
// still loads it (src/ingest/local/stream/record-index.ts tries prebuilds/ first). It is an
// N-API module: one binary serves every Node.js version from 20 on, per platform and CPU.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Copies the module to prebuilds/, in the folder record-index.ts prebuildTag() names. */
function copyPrebuild() {
  if (!existsSync(output)) return;
  const musl = process.platform === 'linux' && process.report?.getReport()?.header?.glibcVersionRuntime === undefined;
  const dir = join(here, '..', 'prebuilds', `${process.platform}-${process.arch}${musl ? '-musl' : ''}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(output, join(dir, 'iamtrim_scan.node'));
}
const output = join(here, 'build', 'Release', 'iamtrim_scan.node');
// binding.gyp is JSON: its sources, the header they share and binding.gyp itself.
const sources = [...JSON.parse(readFileSync(join(here, 'binding.gyp'), 'utf8')).targets[0].sources, 'scan.h', 'binding.gyp'].map((f) => join(here, f));

function upToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

if (process.env.IAMTRIM_NATIVE === '0') {
  console.error('native scanner: skipped (IAMTRIM_NATIVE=0); scans take the reference path');
} else if (!upToDate()) {
  // npm gives scripts its bundled node-gyp; outside npm, look for it beside this Node's npm.
  const gyp = process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // Node's own headers, where its install has them, instead of a download (no network needed).
  const prefix = join(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const args = [gyp, 'rebuild', '--directory', here, ...(nodedir === undefined ? [] : [`--nodedir=${nodedir}`])];
  const run = existsSync(gyp)
    ? spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : { status: null, stderr: `node-gyp not found at ${gyp}` };
  if (run.status === 0 && existsSync(output)) {
    console.error('native scanner: built native/build/Release/iamtrim_scan.node');
    copyPrebuild();
  } else {
    const why = (run.stderr ?? '').split('\n').filter((l) => /error|not found/i.test(l)).slice(0, 3).join('; ');
    console.error(`native scanner: not built (${why || 'node-gyp failed'}); scans take the reference path (same results, several times slower). Install python3, make and a C compiler, then npm run build.`);
  }
} else {
  copyPrebuild();
}

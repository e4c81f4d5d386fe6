/**
 * The package as a registry user gets it, for the bench: `npm pack` of the checkout (built
 * already), unpacked into `dir/app/node_modules/iamtrim` with no build script run, its dependencies
 * linked from the checkout, and a PATH that holds node alone (no C compiler), as
 * test/pack-install.test.ts checks it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface InstalledTarball {
  /** The installed CLI entry point. */
  bin: string;
  /** A folder holding `node` alone, to use as PATH. */
  path: string;
}

export async function installTarball(checkout: string, dir: string): Promise<InstalledTarball> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const npmCli = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const npm = existsSync(npmCli) ? [process.execPath, npmCli] : ['npm'];
  const out = execFileSync(npm[0] ?? 'npm', [...npm.slice(1), 'pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: checkout,
    encoding: 'utf8',
  });
  const filename = (JSON.parse(out) as Array<{ filename: string }>)[0]?.filename ?? '';
  const installed = join(dir, 'app', 'node_modules', 'iamtrim');
  await mkdir(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, filename), '--strip-components=1', '-C', installed]);
  for (const name of readdirSync(join(checkout, 'node_modules'))) {
    if (name === '.bin' || name === 'iamtrim' || name.startsWith('.')) continue;
    await symlink(join(checkout, 'node_modules', name), join(dir, 'app', 'node_modules', name));
  }
  const path = join(dir, 'bin');
  await mkdir(path);
  await symlink(process.execPath, join(path, 'node'));
  return { bin: join(installed, 'dist', 'bin.js'), path };
}

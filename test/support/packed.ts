/**
 * Packing this repository's packages and installing the tarballs in a scratch project, as a user
 * would, with no network: each tarball's dependencies come from the repository's own
 * node_modules (as folders, which npm links), so npm never asks the registry.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const run = promisify(execFile);

/** `node_modules/<name>` of the repository root. */
export const repoModule = (name: string) => join(ROOT, 'node_modules', name);

/**
 * `npm pack` of the package in `packageDir` into `destination`: its `prepack` builds it first.
 * Answers the tarball's path.
 */
export async function pack(packageDir: string, destination: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: packageDir, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  return join(destination, report!.filename);
}

/** The folder Node loads `name` from when it is imported by code in `fromDir` (node_modules, walking up). */
export function installedFolder(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed for ${fromDir}`);
  }
}

/**
 * The folders of the runtime dependencies of the package in `packageDir`, as this repository
 * installed them, leaving out those given as tarballs (`packed`): what its tarball needs.
 */
export function dependencyFolders(packageDir: string, packed: readonly string[] = []): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {}).filter((name) => !packed.includes(name)).map((name) => installedFolder(name, packageDir));
}

/**
 * Installs `specs` (tarballs, folders) into the project in `project` (which has a package.json),
 * each one named: with no network, no lockfile, and
 * - no install scripts: a linked folder's scripts would run in the repository's own node_modules
 *   (better-sqlite3 would rebuild there);
 * - peers not resolved by npm (`--legacy-peer-deps`): offline, npm would look up the manifest of
 *   every optional peer of txbox (twenty drivers and ORMs) in its cache, and the outcome would
 *   depend on what else the machine happened to cache. The specs name every package needed.
 */
export async function installOffline(project: string, specs: readonly string[]): Promise<void> {
  const flags = ['--offline', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--no-package-lock'];
  await run('npm', ['install', ...flags, ...specs], { cwd: project, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
}

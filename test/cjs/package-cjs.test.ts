/**
 * The packed tarball in a scratch project outside the repository, as a NestJS project on
 * CommonJS uses it: require() and import() of every entry point, instanceof across the two
 * builds, tsc with Nest's classic tsconfig (module commonjs) and with node16 resolution, and
 * Jest in CommonJS mode with ts-jest (dev dependencies).
 *
 * Extra Node binaries (e.g. Node 22) to run the scripts with: TXBOX_EXTRA_NODES=/path/node,...
 * Jest from another folder until it is a dev dependency: TXBOX_JEST_HOME=/dir (with node_modules/jest).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PG_URL } from '../support/env.js';
import { dependencyFolders, installOffline, pack, repoModule, ROOT, run } from '../support/packed.js';

const FIXTURES = fileURLToPath(new URL('./project', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
const SUBPATHS = Object.keys(pkg.exports).map((k) => (k === '.' ? 'txbox' : `txbox/${k.slice(2)}`));
const nodes = [process.execPath, ...(process.env.TXBOX_EXTRA_NODES ?? '').split(',').filter(Boolean)];

/** The folder whose node_modules has jest, ts-jest and @types/jest: the repository's, or TXBOX_JEST_HOME. */
function findJestHome(): string | undefined {
  return [ROOT, process.env.TXBOX_JEST_HOME].find((home) => home && ['jest', 'ts-jest', '@types/jest'].every((m) => existsSync(join(home, 'node_modules', m, 'package.json'))));
}

describe('the packed package in a CommonJS project', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-cjs-'));
  const project = join(dir, 'project');
  const jestHome = findJestHome();
  const env = { ...process.env, TXBOX_SUBPATHS: JSON.stringify(SUBPATHS), TXBOX_PG_URL: PG_URL };

  before(async () => {
    // `npm pack` runs prepack: the build of both dist/ and dist/cjs/.
    const tarball = await pack(ROOT, dir);
    cpSync(FIXTURES, project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    // Offline: the tarball, and its one dependency from the repository's node_modules.
    await installOffline(project, [tarball, ...dependencyFolders(ROOT)]);
    // What the application itself uses, linked (the tarball is not resolved through them).
    for (const name of ['pg', 'reflect-metadata', 'rxjs', '@nestjs', '@opentelemetry', 'typescript']) symlinkSync(repoModule(name), join(project, 'node_modules', name));
    mkdirSync(join(project, 'node_modules', '@types'));
    // Jest loads its transformer from the project: ts-jest, and the typescript it compiles with.
    if (jestHome) symlinkSync(join(jestHome, 'node_modules', '@types', 'jest'), join(project, 'node_modules', '@types', 'jest'));
    if (jestHome) symlinkSync(join(jestHome, 'node_modules', 'ts-jest'), join(project, 'node_modules', 'ts-jest'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is not the repository: txbox resolves to the installed tarball', () => {
    const resolved = createRequire(join(project, 'x.js')).resolve('txbox');
    assert.equal(resolved, join(project, 'node_modules', 'txbox', 'dist', 'cjs', 'core', 'index.js'));
    assert.ok(!existsSync(join(project, 'node_modules', 'txbox', 'src')), 'the sources are not shipped');
  });

  for (const node of nodes) {
    it(`require(): every entry point, a PostgreSQL store, TxboxModule, instanceof across builds (${node})`, async () => {
      const { stdout } = await run(node, ['cjs-app.cjs'], { cwd: project, env, timeout: 60_000 });
      assert.equal(JSON.parse(stdout.trim().split('\n').pop()!).ok, true);
    });

    it(`import(): every entry point, instanceof against the CommonJS build (${node})`, async () => {
      const { stdout } = await run(node, ['esm-app.mjs'], { cwd: project, env, timeout: 60_000 });
      assert.equal(JSON.parse(stdout.trim()).ok, true);
    });
  }

  for (const tsconfig of ['tsconfig.json', 'tsconfig.node16.json']) {
    it(`type-checks with a NestJS project's ${tsconfig === 'tsconfig.json' ? 'classic module: commonjs' : 'node16'} tsconfig`, async () => {
      const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', tsconfig, '--noEmit'], { cwd: project, timeout: 120_000 }).catch((e: { stdout: string }) => e);
      assert.equal((result as { stdout: string }).stdout, '');
    });
  }

  it('runs under Jest in CommonJS mode with ts-jest', async () => {
    assert.ok(jestHome, 'jest, ts-jest and @types/jest are dev dependencies (or set TXBOX_JEST_HOME)');
    const { stderr } = await run(process.execPath, [join(jestHome!, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--config', 'jest.config.json'], { cwd: project, env, timeout: 120_000 }).catch((e: { stderr: string; stdout: string }) => {
      throw new Error(`${e.stdout}\n${e.stderr}`);
    });
    assert.match(stderr, /Tests:\s+2 passed, 2 total/);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The Nest scenarios run in their own process with `--import tsx/esm`. The suite's `--import tsx`
 * also hooks require(), and compiles an ESM-only package that a CommonJS one requires (Nest 12's
 * @nestjs/core, required by nestjs-cls) into a second copy: nestjs-cls's HttpAdapterHost is then
 * not Nest's, and the application does not even start. Node's own require(esm) keeps one copy.
 * SIGKILL on timeout: a hung app.close() would otherwise outlive the test, since Nest's shutdown
 * hooks catch SIGTERM.
 */
test('TxboxModule scenarios in a real Nest application (test/nestjs/scenarios.ts)', { timeout: 120_000 }, async () => {
  const file = fileURLToPath(new URL('./scenarios.ts', import.meta.url));
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx/esm', '--test-reporter=spec', file], { timeout: 110_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: childEnv() }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /ℹ pass [1-9]/, 'the scenarios ran');
  assert.match(result.output, /ℹ fail 0/);
});

/** Without the runner's marker, the child runs its own tests instead of reporting to this one. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

test('docs/adapters/nestjs.md shows the tested example, with the package\'s import paths', () => {
  const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
  const tested = read('./orders-app.ts')
    .split('\n')
    .slice(2) // the header comment, which names the test
    .join('\n')
    .replace("'../../src/adapters/nestjs/index.js'", "'txbox/nestjs'")
    .replace("'../../src/core/index.js'", "'txbox'")
    .replace("'../../src/stores/postgres/index.js'", "'txbox/postgres'");
  const blocks = [...read('../../docs/adapters/nestjs.md').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.includes(tested.trimEnd() + '\n'), 'the example block equals test/nestjs/orders-app.ts');
});

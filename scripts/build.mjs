// Builds the package: dist/ (ESM, the package's own "type": "module") and dist/cjs/ (CommonJS,
// for require() and Jest's default mode). Both come from the same sources; TxboxError's
// `instanceof` holds across them (see src/core/errors.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
mkdirSync('dist/cjs', { recursive: true });
// Without it, Node would read dist/cjs/*.js as ESM, from the package.json at the root.
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);

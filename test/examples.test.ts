import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PG_URL } from './support/env.js';

const run = (file: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ['--conditions=txbox-source', '--import', 'tsx', fileURLToPath(new URL(`../examples/${file}`, import.meta.url)), ...args], { timeout: 60_000 });

describe('the modular monolith examples', () => {
  for (const [file, args] of [['monolith-sqlite.ts', ['12']], ['monolith-postgres.ts', ['12', PG_URL]]] as const) {
    it(`${file}: every order is invoiced and mailed exactly once`, async () => {
      const { stdout } = await run(file, ...args);
      assert.deepEqual(JSON.parse(stdout), { orders: 12, invoices: 12, emails: 12 });
    });
  }
});

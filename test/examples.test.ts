import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { eventually, PG_URL } from './support/env.js';

const exampleArgs = (file: string, args: readonly string[]) => ['--conditions=txbox-source', '--import', 'tsx', fileURLToPath(new URL(`../examples/${file}`, import.meta.url)), ...args];
const run = (file: string, ...args: string[]) => promisify(execFile)(process.execPath, exampleArgs(file, args), { timeout: 60_000 });

/** Past the usual container grace period (10 s) a stopped process is killed: exiting must be quick. */
const PROMPT_EXIT_MS = 2000;

describe('the modular monolith examples', () => {
  for (const [file, args] of [['monolith-sqlite.ts', ['12']], ['monolith-postgres.ts', ['12', PG_URL]]] as const) {
    it(`${file}: every order is invoiced and mailed exactly once`, async () => {
      const { stdout } = await run(file, ...args);
      assert.deepEqual(JSON.parse(stdout), { orders: 12, invoices: 12, emails: 12 });
    });
  }
});

describe('the PostgreSQL examples stop at once on SIGTERM', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  after(() => pool.end());
  const schemaExists = async (name: string) => (await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1;

  /** Starts an example, waits until `ready`, sends SIGTERM and reports how it ended and how fast. */
  async function stopAfterStart(file: string, args: readonly string[], ready: (child: ChildProcess, stdout: () => string) => Promise<void>) {
    const child = spawn(process.execPath, exampleArgs(file, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    try {
      await ready(child, () => stdout);
      const t0 = performance.now();
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      return { code, signal, ms: performance.now() - t0, stdout, stderr };
    } finally {
      clearTimeout(guard);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  it(`relay-postgres.ts (the README quick start) drains, ends its pool and exits within ${PROMPT_EXIT_MS} ms`, { timeout: 60_000 }, async () => {
    const r = await stopAfterStart('relay-postgres.ts', [PG_URL], (_child, out) => eventually(() => out().includes('"delivered":"account.debited"'), 20_000, 'the first delivery'));
    assert.equal(r.signal, null, `ended by its own shutdown, not killed by the signal (stderr: ${r.stderr.slice(0, 2000)})`);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    assert.ok(r.ms < PROMPT_EXIT_MS, `exited ${Math.round(r.ms)} ms after SIGTERM`);
  });

  it(`monolith-postgres.ts stops its consumers, drops its tables and exits within ${PROMPT_EXIT_MS} ms`, { timeout: 60_000 }, async () => {
    let schema = '';
    const r = await stopAfterStart('monolith-postgres.ts', ['100000', PG_URL], async (child) => {
      schema = `monolith_${child.pid}`;
      // Orders are being written and handled: the example is in the middle of its run.
      await eventually(async () => (await schemaExists(schema)) && (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.emails`)).rows[0].n > 0, 20_000, 'the first email');
    });
    assert.equal(r.signal, null, `ended by its own shutdown, not killed by the signal (stderr: ${r.stderr.slice(0, 2000)})`);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    assert.ok(r.ms < PROMPT_EXIT_MS, `exited ${Math.round(r.ms)} ms after SIGTERM`);
    const { orders, invoices, emails } = JSON.parse(r.stdout) as Record<string, number>;
    assert.ok(orders! > 0 && orders! < 100_000 && invoices! <= orders! && emails! <= invoices!, r.stdout);
    assert.equal(await schemaExists(schema), false, 'its schema was dropped');
  });
});

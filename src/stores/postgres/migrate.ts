import { TxboxError } from '../../core/errors.js';
import { startingVersion } from '../../core/schema-version.js';
import type { RegisteredTable } from '../shared/schema-registry.js';
import { runScript, type PgClientLike, type PgQueryable } from './driver.js';
import { pgRecordedVersion } from './schema-status.js';

/** Where `migrate()` runs: a pg Pool (`connect`) or, where there is no pool, PGlite's `transaction`. */
export interface PgMigrationSource extends PgQueryable {
  connect?(): Promise<PgClientLike>;
  transaction?<T>(fn: (tx: PgQueryable) => Promise<T>): Promise<T>;
}

type ScriptRunner = PgQueryable & { exec?: (sql: string) => Promise<unknown> };

/**
 * Migrates one txbox table (outbox, inbox or schedules) to version `expected`: one migrator at a
 * time (concurrent CREATE ... IF NOT EXISTS can still collide in PostgreSQL), in one transaction,
 * so a refused or failed upgrade leaves nothing behind. A version from the future is refused
 * (SCHEMA_TOO_NEW) before anything runs. `script(from)` is the DDL and the version record for a
 * table at version `from` (null: no table yet).
 */
export async function pgMigrate(db: PgMigrationSource, t: RegisteredTable, expected: number, script: (from: number | null) => string): Promise<void> {
  await inMigrationTransaction(db, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('txbox:migrate'))`);
    const { exists, recorded } = await pgRecordedVersion(tx, t);
    await runScript(tx, script(startingVersion(t.table, recorded, exists, expected)));
  });
}

/** A transaction on a pooled connection (pg) or PGlite's own; the script runs through `exec` where there is one. */
async function inMigrationTransaction(db: PgMigrationSource, fn: (tx: ScriptRunner) => Promise<void>): Promise<void> {
  if (!db.connect && db.transaction) return db.transaction(fn);
  if (!db.connect) throw new TxboxError('NOT_SUPPORTED', 'migrate() needs a pool with connect() or a database with transaction()');
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await fn(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').then(() => client.release(), () => client.release(true));
    throw error;
  }
  client.release();
}

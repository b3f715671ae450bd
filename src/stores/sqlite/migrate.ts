import { startingVersion } from '../../core/schema-version.js';
import type { RegisteredTable } from '../shared/schema-registry.js';
import type { SqliteDatabaseLike } from './driver.js';
import { sqliteRecordedVersion } from './schema-status.js';

/**
 * Migrates one txbox table to version `expected`. An IMMEDIATE transaction takes the write lock
 * first: migrators in several processes queue, and a refused or failed upgrade leaves nothing
 * behind (SQLite's DDL is transactional). `script(from)`: the DDL and version record for a table
 * at version `from` (null: no table yet).
 */
export function sqliteMigrate(db: SqliteDatabaseLike, t: RegisteredTable, expected: number, script: (from: number | null) => string): void {
  db.transaction(() => {
    const { exists, recorded } = sqliteRecordedVersion(db, t);
    db.exec(script(startingVersion(t.table, recorded, exists, expected)));
  }).immediate();
}

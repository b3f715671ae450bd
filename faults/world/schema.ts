import type Database from 'better-sqlite3';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { tables } from '../processes/config.js';

/**
 * The business side of the workload: aggregates (one row per key, its version bumped by every
 * transaction), business rows (one per committed transaction: the truth of what committed), and
 * the consumer's effects (one counter per message id).
 */
export async function createPgTables(pool: pg.Pool, prefix: string, keys: number): Promise<void> {
  const t = tables(prefix);
  await pool.query(`CREATE TABLE "${t.agg}" (key text PRIMARY KEY, version int NOT NULL);
CREATE TABLE "${t.biz}" (id uuid PRIMARY KEY, key text NOT NULL, version int NOT NULL, delay_ms int NOT NULL, sent_at_ms bigint NOT NULL, poison boolean NOT NULL);
CREATE TABLE "${t.eff}" (id text PRIMARY KEY, key text NOT NULL, v int NOT NULL, n int NOT NULL);`);
  await pool.query(`INSERT INTO "${t.agg}" SELECT 'k' || i, 0 FROM generate_series(0, $1::int - 1) i`, [keys]);
}

export async function dropPgTables(pool: pg.Pool, prefix: string): Promise<void> {
  const t = tables(prefix);
  await pool.query(`DROP TABLE IF EXISTS "${t.agg}", "${t.biz}", "${t.eff}", "${t.inbox}", "${t.outbox}"`);
}

export function createSqliteTables(db: Database.Database, effects: Database.Database, prefix: string, keys: number): void {
  const t = tables(prefix);
  db.exec(`CREATE TABLE "${t.agg}" (key TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE "${t.biz}" (id TEXT PRIMARY KEY, key TEXT NOT NULL, version INTEGER NOT NULL, delay_ms INTEGER NOT NULL, sent_at_ms INTEGER NOT NULL, poison INTEGER NOT NULL);`);
  const insert = db.prepare(`INSERT INTO "${t.agg}" VALUES (?, 0)`);
  db.transaction(() => {
    for (let i = 0; i < keys; i++) insert.run(`k${i}`);
  })();
  effects.exec(`CREATE TABLE "${t.eff}" (id TEXT PRIMARY KEY, key TEXT NOT NULL, v INTEGER NOT NULL, n INTEGER NOT NULL);`);
}

export async function createMysqlTables(pool: mysql.Pool, prefix: string, keys: number): Promise<void> {
  const t = tables(prefix);
  await pool.query(`CREATE TABLE \`${t.agg}\` (\`key\` VARCHAR(64) PRIMARY KEY, version INT NOT NULL) ENGINE=InnoDB`);
  await pool.query(`CREATE TABLE \`${t.biz}\` (id CHAR(36) PRIMARY KEY, \`key\` VARCHAR(64) NOT NULL, version INT NOT NULL, delay_ms INT NOT NULL, sent_at_ms BIGINT NOT NULL, poison TINYINT NOT NULL) ENGINE=InnoDB`);
  const values = Array.from({ length: keys }, (_, i) => `('k${i}', 0)`).join(', ');
  await pool.query(`INSERT INTO \`${t.agg}\` VALUES ${values}`);
}

export async function dropMysqlTables(pool: mysql.Pool, prefix: string): Promise<void> {
  const t = tables(prefix);
  await pool.query(`DROP TABLE IF EXISTS \`${t.agg}\`, \`${t.biz}\`, \`${t.outbox}\``);
}

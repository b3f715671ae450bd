import type Database from 'better-sqlite3';
import { errorText, sleep } from '../util.js';
import { emit } from './protocol.js';
import { openSqlite } from './targets.js';

/** The application's own work saturating the pool the relay shares with it: from each of `at` (wall clock), for `forMs`. */
export interface HogSpec {
  at: number[];
  forMs: number;
  connections: number;
}

interface Held {
  query(sql: string): Promise<unknown>;
  release(): void;
}

/**
 * Checks out `connections` connections of the relay process's own pool and keeps a transaction
 * open on each for `forMs`, as long application transactions would; the relay's claims and
 * acknowledgements queue behind them. On SQLite (no pool) a second connection of the process
 * holds the write lock (BEGIN IMMEDIATE) instead. Reports `hog` with when it held and let go.
 */
export function scheduleHog(spec: HogSpec | undefined, target: { pool?: unknown; sqliteFile?: string }): void {
  if (!spec) return;
  for (const at of spec.at) setTimeout(() => void hog(spec, target).catch((error) => emit({ ev: 'hog', error: errorText(error) })), Math.max(0, at - Date.now()));
}

async function hog(spec: HogSpec, target: { pool?: unknown; sqliteFile?: string }): Promise<void> {
  if (target.sqliteFile) {
    const db: Database.Database = openSqlite(target.sqliteFile);
    db.pragma('busy_timeout = 100');
    // Busy while the writers hold the lock back to back: take it as soon as it is free.
    for (let attempt = 1; ; attempt++) {
      try {
        db.exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await sleep(20);
      }
    }
    const from = Date.now();
    await sleep(spec.forMs);
    db.exec('COMMIT');
    db.close();
    emit({ ev: 'hog', from, to: Date.now(), held: 1 });
    return;
  }
  const pool = target.pool as { connect?(): Promise<Held>; getConnection?(): Promise<Held> };
  const take = () => (pool.connect ? pool.connect() : pool.getConnection!());
  const held = await Promise.all(Array.from({ length: spec.connections }, take));
  const from = Date.now();
  await Promise.all(held.map((c) => c.query(pool.connect ? 'BEGIN' : 'START TRANSACTION').then(() => c.query('SELECT 1'))));
  await sleep(spec.forMs);
  await Promise.all(held.map((c) => c.query('COMMIT').catch(() => {})));
  for (const c of held) c.release();
  emit({ ev: 'hog', from, to: Date.now(), held: held.length });
}

// Compiled by `tsc --noEmit` (npm test), never run: a handler gets the handle its transactions
// really give, and a handler typed for another does not compile. Each @ts-expect-error fails
// the type check if that refusal ever goes away.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { typeOrmTransactions, type TypeOrmPgTransaction } from '../../src/adapters/typeorm/index.js';
import { createConsumers, defineConsumer } from '../../src/consumers/index.js';
import { createPostgresInbox, createPostgresStore, type PgTransaction } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteStore } from '../../src/stores/sqlite/index.js';

const onClient = defineConsumer<pg.PoolClient, unknown>({ name: 'a', topics: ['t'], handle: async ({ tx }) => void (await tx.query('SELECT 1')) });
const onManager = defineConsumer<TypeOrmPgTransaction, unknown>({ name: 'b', topics: ['t'], handle: async ({ tx }) => void (await tx.manager.query('SELECT 1')) });
const onAnyPg = defineConsumer<PgTransaction, unknown>({ name: 'c', topics: ['t'], handle: async ({ tx }) => void (await tx.query('SELECT 1')) });
const onSqlite = defineConsumer<Database.Database, unknown>({ name: 'd', topics: ['t'], handle: ({ tx }) => void tx.prepare('SELECT 1').get() });

export function postgres(pool: pg.Pool, dataSource: DataSource) {
  const store = createPostgresStore({ pool });
  const inbox = createPostgresInbox({ pool });
  createConsumers({ store, inbox, consumers: [onClient, onAnyPg] });
  createConsumers({ store, inbox, consumers: [onManager, onAnyPg], transaction: typeOrmTransactions(dataSource, store) });
  // @ts-expect-error the store's own transactions give a pg.PoolClient, not a TypeORM manager
  createConsumers({ store, inbox, consumers: [onManager] });
  // @ts-expect-error TypeORM's transactions give a manager's handle, not a pg.PoolClient
  createConsumers({ store, inbox, consumers: [onClient], transaction: typeOrmTransactions(dataSource, store) });
}

export function sqlite(db: Database.Database) {
  const store = createSqliteStore({ db });
  const inbox = createSqliteInbox({ db });
  createConsumers({ store, inbox, consumers: [onSqlite] });
  // @ts-expect-error a PostgreSQL handler on a SQLite store
  createConsumers({ store, inbox, consumers: [onClient] });
}

import { invalidOption, schemaMissing } from '../../core/errors.js';
import type { InboxStore } from '../../core/inbox.js';
import { INBOX_SCHEMA_VERSION } from '../../core/schema-version.js';
import { checkIdentifier, fitIdentifier, PG_MAX_IDENTIFIER } from '../shared/layout.js';
import { columnShapes } from '../shared/schema-registry.js';
import { checkTransactionHandle, isUndefinedTable, type PgQueryable } from './driver.js';
import { pgMigrate, type PgMigrationSource } from './migrate.js';
import { postgresVersionSql } from './schema.js';
import { pgTableStatus } from './schema-status.js';

export interface PgInboxOptions {
  /** Table name. Default `txbox_inbox`. */
  table?: string;
  schema?: string;
}

/** The columns as `format_type()` names their types, for `schemaStatus()`. */
const COLUMNS = columnShapes({ consumer: 'text', message_id: 'text', received_at: 'timestamp with time zone', result: 'text' });

const quote = (name: string) => `"${name}"`;

/** The inbox table's names, the script `migrate()` runs (version record included) and what its status checks; no I/O. */
export function pgInboxTable(o: PgInboxOptions) {
  if (o === null || typeof o !== 'object') throw invalidOption('options', o, 'must be an object');
  const bareTable = checkIdentifier('table', o.table ?? 'txbox_inbox');
  const schema = o.schema === undefined ? undefined : checkIdentifier('schema', o.schema);
  const table = schema ? `${quote(schema)}.${quote(bareTable)}` : quote(bareTable);
  const receivedIndex = fitIdentifier(bareTable, '_received', PG_MAX_IDENTIFIER);
  const ddl = [
    schema ? `CREATE SCHEMA IF NOT EXISTS ${quote(schema)};` : '',
    `CREATE TABLE IF NOT EXISTS ${table} (
  consumer text NOT NULL,
  message_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  result text,
  PRIMARY KEY (consumer, message_id)
);`,
    `CREATE INDEX IF NOT EXISTS ${quote(receivedIndex)} ON ${table} (received_at);`,
    postgresVersionSql({ table, bareTable, quote }, INBOX_SCHEMA_VERSION),
  ]
    .filter(Boolean)
    .join('\n');
  return { table, bareTable, quote, ddl, shape: { columns: COLUMNS, indexes: ['PRIMARY', receivedIndex] } };
}

/** The inbox for PostgreSQL and PGlite: a (consumer, message_id) primary key makes the insert the guard. */
export function buildPgInbox<Tx extends PgQueryable>(kind: string, db: PgMigrationSource & { exec?: (sql: string) => Promise<unknown> }, o: PgInboxOptions): InboxStore<Tx> {
  const t = pgInboxTable(o);
  const { table, bareTable: bare, ddl } = t;
  const where = 'WHERE consumer = $1 AND message_id = $2';
  // The transaction-scoped advisory lock makes concurrent cleaners skip instead of fighting over rows.
  const cleanup = `WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext('txbox:inbox:${bare}')) AS got),
gone AS (
  DELETE FROM ${table} WHERE (consumer, message_id) IN (
    SELECT consumer, message_id FROM ${table}
    WHERE received_at < now() - ($1::double precision * interval '1 millisecond') AND (SELECT got FROM lock)
    ORDER BY received_at LIMIT $2
  ) RETURNING 1
) SELECT count(*)::int AS n FROM gone`;

  return {
    kind,
    async record(tx, consumer, messageId) {
      checkTransactionHandle(tx, db);
      try {
        const { rows } = await tx.query(`INSERT INTO ${table} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1 AS fresh`, [consumer, messageId]);
        return rows.length === 1;
      } catch (error) {
        throw isUndefinedTable(error) ? schemaMissing('inbox', error) : error;
      }
    },
    async storedResult(tx, consumer, messageId) {
      const { rows } = await tx.query(`SELECT result FROM ${table} ${where}`, [consumer, messageId]);
      return (rows[0]?.result as string | null | undefined) ?? null;
    },
    async saveResult(tx, consumer, messageId, json) {
      await tx.query(`UPDATE ${table} SET result = $3 ${where}`, [consumer, messageId, json]);
    },
    cleanup: async (windowMs, limit) => Number((await db.query(cleanup, [windowMs, limit])).rows[0]?.n ?? 0),
    // Version 1 is the only one yet: a table at any version below gets the same script.
    migrate: () => pgMigrate(db, t, INBOX_SCHEMA_VERSION, () => ddl),
    schemaSql: () => ddl,
    schemaStatus: () => pgTableStatus(db, 'inbox', t, t.shape, INBOX_SCHEMA_VERSION),
  };
}

import type { TableLayout } from '../shared/layout.js';

/** The outbox DDL for PostgreSQL (and PGlite). Idempotent: safe to run at every start. */
export function postgresSchema(l: TableLayout, schema: string | undefined): string {
  const { c, table } = l;
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const index = (suffix: string) => l.quote(`${l.bareTable}_${suffix}`);
  return [
    schema ? `CREATE SCHEMA IF NOT EXISTS ${l.quote(schema)};` : '',
    `CREATE TABLE IF NOT EXISTS ${table} (
  ${c.position} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ${c.id} uuid NOT NULL,
  ${c.topic} text NOT NULL,
  ${c.key} text,
  ${c.payload} bytea NOT NULL,
  ${c.contentType} text NOT NULL,
  ${c.headers} text,
  ${c.dedupKey} text,
  ${c.createdAt} timestamptz NOT NULL DEFAULT now(),
  ${c.availableAt} timestamptz NOT NULL DEFAULT now(),
  ${c.attempts} integer NOT NULL DEFAULT 0,
  ${c.lastError} text,
  ${c.leaseToken} uuid,
  ${c.leaseUntil} timestamptz,
  ${c.processedAt} timestamptz,
  ${c.deadAt} timestamptz
);`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('id')} ON ${table} (${c.id});`,
    `CREATE INDEX IF NOT EXISTS ${index('pending')} ON ${table} (${c.position}) WHERE ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('key')} ON ${table} (${c.key}, ${c.position}) WHERE ${c.key} IS NOT NULL AND ${pending};`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('dedup')} ON ${table} (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('processed')} ON ${table} (${c.processedAt}) WHERE ${c.processedAt} IS NOT NULL;`,
    `CREATE INDEX IF NOT EXISTS ${index('dead')} ON ${table} (${c.position}) WHERE ${c.deadAt} IS NOT NULL;`,
  ]
    .filter(Boolean)
    .join('\n');
}

import { partialIndexes } from '../shared/indexes.js';
import type { TableLayout } from '../shared/layout.js';

/** The outbox DDL for PostgreSQL (and PGlite). Idempotent: safe to run at every start. */
export function postgresSchema(l: TableLayout, schema: string | undefined): string {
  const { c, table } = l;
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
    ...partialIndexes(l),
  ]
    .filter(Boolean)
    .join('\n');
}

import type { TableLayout } from './layout.js';

/**
 * The outbox's partial indexes, in the syntax PostgreSQL and SQLite share. They keep claiming as
 * fast with a million processed or dead rows as with none: each covers only the rows it serves.
 */
export function partialIndexes(l: TableLayout): string[] {
  const { c, table } = l;
  const pending = `${c.processedAt} IS NULL AND ${c.deadAt} IS NULL`;
  const index = (suffix: string) => l.quote(l.derived(suffix));
  return [
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('id')} ON ${table} (${c.id});`,
    `CREATE INDEX IF NOT EXISTS ${index('pending')} ON ${table} (${c.position}) WHERE ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('key')} ON ${table} (${c.key}, ${c.position}) WHERE ${c.key} IS NOT NULL AND ${pending};`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${index('dedup')} ON ${table} (${c.dedupKey}) WHERE ${c.dedupKey} IS NOT NULL AND ${pending};`,
    `CREATE INDEX IF NOT EXISTS ${index('processed')} ON ${table} (${c.processedAt}) WHERE ${c.processedAt} IS NOT NULL;`,
    `CREATE INDEX IF NOT EXISTS ${index('dead')} ON ${table} (${c.position}) WHERE ${c.deadAt} IS NOT NULL;`,
  ];
}

import { messageQueries } from '../../core/message-queries.js';
import type { MessageQueries, QueryBackend, ResolvedFilter } from '../../core/queries.js';
import { blockedSql, collectParams, filterWhere, rowToBlocked, rowToDetails, rowToStored, stateColumn, type QueryDialect } from '../shared/query-sql.js';
import { messageColumns } from '../shared/rows.js';
import type { PgQueryable } from './driver.js';
import type { ResolvedPgDialectOptions } from './options.js';

/** PostgreSQL's way of writing the query API's SQL, with a fresh list of parameters. */
function pgDialect() {
  const { values, param } = collectParams(true);
  const d: QueryDialect = {
    param,
    now: () => 'now()',
    time: (value) => `${param(value)}::timestamptz`,
    contains: (column, text) => `strpos(${column}, ${param(text)}) > 0`,
    position: (value) => `${param(value)}::bigint`,
  };
  return { d, values };
}

/**
 * The query API of the PostgreSQL and PGlite stores. Plain reads (no FOR UPDATE), so they never
 * wait for a claim nor make one wait. In lock mode a claim's row locks are invisible to them.
 */
export function pgQueries(db: PgQueryable, o: ResolvedPgDialectOptions, byId: Pick<QueryBackend, 'requeue' | 'discard'>): MessageQueries {
  const l = o.layout;
  const { c, table } = l;
  // The history is text here whatever the driver does with jsonb; only get() and blocked keys read it.
  const history = `${c.attemptHistory}::text AS history`;
  const columns = (d: QueryDialect) => `${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at, ${c.position}::text AS pos, ${stateColumn(l, d)} AS state`;
  const rows = async (sql: string, values: unknown[]) => (await db.query(sql, values)).rows;

  return messageQueries({
    inFlightVisible: o.claimMode === 'lease',
    async page(f: ResolvedFilter, after, limit) {
      const { d, values } = pgDialect();
      const where = filterWhere(l, f, d, after);
      return (await rows(`SELECT ${columns(d)} FROM ${table} WHERE ${where} ORDER BY ${c.position} LIMIT ${d.param(limit)}`, values)).map(rowToStored);
    },
    async count(f) {
      const { d, values } = pgDialect();
      return Number((await rows(`SELECT count(*) AS n FROM ${table} WHERE ${filterWhere(l, f, d)}`, values))[0]?.n ?? 0);
    },
    async get(id) {
      const { d, values } = pgDialect();
      const [row] = await rows(`SELECT ${columns(d)}, ${history} FROM ${table} WHERE ${c.id} = ${d.param(id)}`, values);
      return row ? rowToDetails(row) : null;
    },
    async blocked(after, limit) {
      const { d, values } = pgDialect();
      return (await rows(blockedSql(l, d, `${columns(d)}, ${history}`, after, limit), values)).map(rowToBlocked);
    },
    ...byId,
  });
}

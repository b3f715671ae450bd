import { messageQueries } from '../../core/message-queries.js';
import type { MessageQueries, QueryBackend } from '../../core/queries.js';
import { blockedSql, collectParams, filterWhere, rowToBlocked, rowToDetails, rowToStored, stateColumn, type QueryDialect } from '../shared/query-sql.js';
import { selectRows } from './driver.js';
import type { ResolvedMysqlOptions } from './options.js';
import { isoUtc, messageColumns, timed, utcDatetime } from './sql.js';

/** MySQL's way of writing the query API's SQL. The clock is the server's, in UTC, as everywhere in this store. */
function mysqlDialect() {
  const { values, param } = collectParams(false);
  const d: QueryDialect = {
    param,
    now: () => 'UTC_TIMESTAMP(6)',
    time: (value) => `CAST(${param(utcDatetime(value))} AS DATETIME(6))`,
    // The table's collation is utf8mb4_bin, so LOCATE compares code points: case-sensitive.
    contains: (column, text) => `LOCATE(${param(text)}, ${column}) > 0`,
    position: (value) => `CAST(${param(value)} AS UNSIGNED)`,
  };
  return { d, values };
}


/**
 * The query API of the MySQL / MariaDB store. Plain consistent reads (no locks, no gap locks),
 * each under the store's server-side time limit. In lock mode a claim's row locks are invisible.
 */
export function mysqlQueries(o: ResolvedMysqlOptions, byId: Pick<QueryBackend, 'requeue' | 'discard'>): MessageQueries {
  const { pool, layout: l } = o;
  const { c, table } = l;
  const t = (sql: string) => timed(sql, o.queryTimeoutMs);
  const history = `${c.attemptHistory} AS history`;
  const columns = (d: QueryDialect) =>
    `${messageColumns(l)}, ${c.lastError} AS last_error, ${isoUtc(c.deadAt)} AS dead_at, CAST(${c.position} AS CHAR) AS pos, ${stateColumn(l, d)} AS state`;

  return messageQueries({
    inFlightVisible: o.claimMode === 'lease',
    async page(f, after, limit) {
      const { d, values } = mysqlDialect();
      const sql = `SELECT ${columns(d)} FROM ${table} WHERE ${filterWhere(l, f, d, after)} ORDER BY ${c.position} LIMIT ${d.param(limit)}`;
      return (await selectRows(pool, t(sql), values)).map(rowToStored);
    },
    async count(f) {
      const { d, values } = mysqlDialect();
      return Number((await selectRows(pool, t(`SELECT count(*) AS n FROM ${table} WHERE ${filterWhere(l, f, d)}`), values))[0]?.n ?? 0);
    },
    async get(id) {
      const { d } = mysqlDialect();
      const [row] = await selectRows(pool, t(`SELECT ${columns(d)}, ${history} FROM ${table} WHERE ${c.id} = ?`), [id]);
      return row ? rowToDetails(row) : null;
    },
    async blocked(after, limit) {
      const { d, values } = mysqlDialect();
      return (await selectRows(pool, t(blockedSql(l, d, `${columns(d)}, ${history}`, after, limit)), values)).map(rowToBlocked);
    },
    ...byId,
  });
}

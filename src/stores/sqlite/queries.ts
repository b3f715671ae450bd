import { messageQueries } from '../../core/message-queries.js';
import type { MessageQueries, QueryBackend } from '../../core/queries.js';
import { blockedSql, collectParams, filterWhere, rowToBlocked, rowToDetails, rowToStored, stateColumn, type QueryDialect } from '../shared/query-sql.js';
import { messageColumns } from '../shared/rows.js';
import type { ResolvedSqliteOptions } from './options.js';

/**
 * SQLite's way of writing the query API's SQL. Times are integer milliseconds by the store's
 * clock, read once per query and written into the text (a number the store made, never input),
 * so the order of the other parameters is the order they appear in.
 */
function sqliteDialect(nowMs: number) {
  const { values, param } = collectParams(false);
  const d: QueryDialect = {
    param,
    now: () => String(Math.floor(nowMs)),
    time: (value) => param(value.getTime()),
    contains: (column, text) => `instr(${column}, ${param(text)}) > 0`,
    position: (value) => `CAST(${param(value)} AS INTEGER)`,
  };
  return { d, values };
}

/** The query API of the SQLite store: plain reads outside any transaction of the relay's. */
export function sqliteQueries(o: ResolvedSqliteOptions, byId: Pick<QueryBackend, 'requeue' | 'discard'>): MessageQueries {
  const { db, clock, layout: l } = o;
  const { c, table } = l;
  const history = `${c.attemptHistory} AS history`;
  const columns = (d: QueryDialect) =>
    `${messageColumns(l)}, ${c.lastError} AS last_error, ${c.deadAt} AS dead_at, CAST(${c.position} AS TEXT) AS pos, ${stateColumn(l, d)} AS state`;
  const open = () => sqliteDialect(clock.now());

  return messageQueries({
    inFlightVisible: true,
    async page(f, after, limit) {
      const { d, values } = open();
      const sql = `SELECT ${columns(d)} FROM ${table} WHERE ${filterWhere(l, f, d, after)} ORDER BY ${c.position} LIMIT ${d.param(limit)}`;
      return db.prepare(sql).all(...values).map(rowToStored);
    },
    async count(f) {
      const { d, values } = open();
      return Number(db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${filterWhere(l, f, d)}`).all(...values)[0]?.n ?? 0);
    },
    async get(id) {
      const { d } = open();
      const [row] = db.prepare(`SELECT ${columns(d)}, ${history} FROM ${table} WHERE ${c.id} = ?`).all(id);
      return row ? rowToDetails(row) : null;
    },
    async blocked(after, limit) {
      const { d, values } = open();
      return db.prepare(blockedSql(l, d, `${columns(d)}, ${history}`, after, limit)).all(...values).map(rowToBlocked);
    },
    ...byId,
  });
}

import type { MysqlConnectionLike, MysqlPoolLike } from './driver.js';

/**
 * Runs `fn` in a short READ COMMITTED transaction on a pooled connection: the relay's claim.
 *
 * READ COMMITTED, whatever the session default (REPEATABLE READ on both servers): at REPEATABLE
 * READ the claim's locking range scan would take gap locks that make writers' INSERTs wait for
 * the claim, and would keep non-matching rows (delayed, leased) locked to its end.
 *
 * MySQL has no idle-in-transaction timeout, so while the transaction is open the connection's
 * wait_timeout is lowered to `idleBoundS` seconds: if this process stops between two statements
 * (paused, cut off), the server closes the connection and rolls back within that bound instead
 * of keeping the claimed rows locked for hours. The session's own value is restored after.
 *
 * Each statement is a round trip (mysql2 sends one at a time unless the pool allows multiple
 * statements, which txbox does not require), so the session changes ride together: the SET that
 * lowers wait_timeout also turns autocommit off (the claim's first statement then opens the
 * transaction, as START TRANSACTION would), and the SET that restores the session turns it back
 * on, which commits. Two round trips around the claim instead of four.
 */
export async function shortTransaction<T>(pool: MysqlPoolLike, idleBoundS: number, fn: (conn: MysqlConnectionLike) => Promise<T>): Promise<T> {
  const conn = await beginBounded(pool, idleBoundS);
  let result: T;
  try {
    result = await fn(conn);
  } catch (error) {
    await abandon(conn);
    throw error;
  }
  await endBounded(conn);
  return result;
}

/** Opens the bounded READ COMMITTED transaction of `shortTransaction` and hands over its connection. */
export async function beginBounded(pool: MysqlPoolLike, idleBoundS: number): Promise<MysqlConnectionLike> {
  const conn = await pool.getConnection();
  try {
    await conn.query(`SET @txbox_wait_timeout = @@SESSION.wait_timeout, @txbox_autocommit = @@SESSION.autocommit, SESSION wait_timeout = ${idleBoundS}, autocommit = 0`);
    await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
  } catch (error) {
    conn.destroy();
    throw error;
  }
  return conn;
}

/**
 * The session as it was: turning autocommit on commits the open transaction, then the session's
 * own autocommit and wait_timeout come back (assignments apply left to right).
 */
const RESTORE = 'SET autocommit = 1, SESSION wait_timeout = @txbox_wait_timeout, autocommit = @txbox_autocommit';

/** Commits, restores the session and returns the connection to the pool; throws if the commit failed. */
export async function endBounded(conn: MysqlConnectionLike): Promise<void> {
  try {
    await conn.query(RESTORE);
  } catch (error) {
    conn.destroy();
    throw error;
  }
  conn.release();
}

/** Rolls back and returns the connection, or closes it if even that fails. Never throws. */
export async function abandon(conn: MysqlConnectionLike): Promise<void> {
  try {
    await conn.query('ROLLBACK');
    await conn.query(RESTORE);
    conn.release();
  } catch {
    conn.destroy();
  }
}

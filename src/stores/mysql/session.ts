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
    await conn.query(`SET @txbox_wait_timeout = @@SESSION.wait_timeout, SESSION wait_timeout = ${idleBoundS}`);
    await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await conn.query('START TRANSACTION');
  } catch (error) {
    conn.destroy();
    throw error;
  }
  return conn;
}

/** Commits, restores the session and returns the connection to the pool; throws if the commit failed. */
export async function endBounded(conn: MysqlConnectionLike): Promise<void> {
  try {
    await conn.query('COMMIT');
  } catch (error) {
    conn.destroy();
    throw error;
  }
  // Committed: a failure to restore the session only costs this connection, not the result.
  await restore(conn);
}

/** Rolls back and returns the connection, or closes it if even that fails. Never throws. */
export async function abandon(conn: MysqlConnectionLike): Promise<void> {
  await conn.query('ROLLBACK').then(() => restore(conn), () => conn.destroy());
}

async function restore(conn: MysqlConnectionLike): Promise<void> {
  try {
    await conn.query('SET SESSION wait_timeout = @txbox_wait_timeout');
    conn.release();
  } catch {
    conn.destroy();
  }
}

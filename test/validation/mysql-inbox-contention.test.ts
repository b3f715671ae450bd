/**
 * 50 concurrent deliveries of one message id to a MariaDB inbox, the first handling rolling
 * back: every waiting delivery holds a shared lock on the inbox key and needs an exclusive one
 * to insert, so InnoDB kills all but one of them with ER_LOCK_DEADLOCK, raw. Each victim's
 * whole transaction is rolled back: the inbox raises a typed TRANSACTION_CONFLICT, and a caller
 * that runs the transaction again ends with exactly one effect.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type mysql from 'mysql2/promise';
import { createInbox, TxboxError } from '../../src/core/index.js';
import { createMysqlInbox, createMysqlStore } from '../../src/stores/mysql/index.js';
import { mysqlTestDatabases } from '../support/mysql.js';

const dbs = mysqlTestDatabases({ connectionLimit: 55 });
after(() => dbs.dropAll());

describe('mysql inbox under contention', () => {
  it('50 concurrent deliveries of one id: one effect, only typed errors', async () => {
    const { pool } = await dbs.create();
    await pool.query('CREATE TABLE effects (id INT AUTO_INCREMENT PRIMARY KEY, message_id VARCHAR(64) NOT NULL)');
    const inboxStore = createMysqlInbox({ pool });
    await inboxStore.migrate();
    const inbox = createInbox({ store: inboxStore });
    const store = createMysqlStore({ pool });
    let handlings = 0;
    const raw: unknown[] = [];
    let conflicts = 0;

    const deliver = async () => {
      // Bounded: a delivery gives up after 60 runs (at most 49 others can win a conflict first).
      for (let run = 0; run < 60; run++) {
        try {
          return await store.transaction((tx) =>
            inbox.handleOnce(tx, { consumer: 'billing', messageId: 'pay-1' }, async () => {
              handlings++;
              await tx.query('INSERT INTO effects (message_id) VALUES (?)', ['pay-1']);
              await new Promise((r) => setTimeout(r, 30));
              // The first two handlings fail after their effect, so the waiting deliveries race.
              if (handlings <= 2) throw new Error('handler failed');
            }),
          );
        } catch (error) {
          if (error instanceof TxboxError && error.code === 'TRANSACTION_CONFLICT') conflicts++;
          else if ((error as Error).message !== 'handler failed') raw.push(error);
        }
      }
      throw new Error('a delivery did not get through in 60 runs');
    };
    await Promise.all(Array.from({ length: 50 }, deliver));

    assert.deepEqual(raw.map((e) => (e as { code?: string }).code ?? String(e)), [], 'raw driver errors reached the caller');
    const [[row]] = (await pool.query('SELECT count(*) AS n FROM effects')) as [mysql.RowDataPacket[], unknown];
    assert.equal(Number(row!.n), 1, 'the effect did not happen exactly once');
    assert.ok(conflicts > 0, 'the race this test is about did not happen');
  });
});

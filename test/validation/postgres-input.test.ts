/**
 * Input PostgreSQL cannot store must be refused before anything is sent: the driver's error
 * (`invalid byte sequence for encoding "UTF8": 0x00`, `timestamp out of range`) aborts the
 * caller's whole transaction, so their business rows would be lost with the message. The error
 * is typed and names the field, and the transaction goes on.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox, type MessageInput } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL, uniqueName } from '../support/env.js';

const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const table = uniqueName('input');
after(async () => {
  await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.end();
});

const bad: [string, MessageInput, string][] = [
  ['a NUL in the topic', { topic: 'a\0b', payload: 1 }, 'messages[0].topic'],
  ['a NUL in the key', { topic: 't', key: 'k\0', payload: 1 }, 'messages[0].key'],
  ['a NUL in the dedup key', { topic: 't', dedupKey: '\0', payload: 1 }, 'messages[0].dedupKey'],
  ['a NUL in a header value', { topic: 't', headers: { h: 'x\0' }, payload: 1 }, 'messages[0].headers.h'],
  ['a NUL in a header name', { topic: 't', headers: { 'h\0': 'x' }, payload: 1 }, 'messages[0].headers'],
  ['a delay past the year 9999', { topic: 't', delayMs: 1e17, payload: 1 }, 'messages[0].delayMs'],
  ['an availableAt past the year 9999', { topic: 't', availableAt: new Date(8.6e15), payload: 1 }, 'messages[0].availableAt'],
  ['an availableAt before the year 1', { topic: 't', availableAt: new Date(-8.6e15), payload: 1 }, 'messages[0].availableAt'],
];

describe('postgres: input the database cannot store', () => {
  const store = createPostgresStore({ pool, table });
  const outbox = createOutbox({ store });

  for (const [what, message, field] of bad) {
    it(`refuses ${what} with a typed error, and the caller's transaction goes on`, async () => {
      await store.migrate();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await assert.rejects(outbox.send(client, [message]), { code: 'INVALID_ARGUMENT', field });
        // The transaction is still usable: a valid message commits.
        const { ids } = await outbox.send(client, { topic: 'after', payload: 1 });
        await client.query('COMMIT');
        const { rows } = await pool.query(`SELECT topic FROM "${table}" WHERE id = $1`, [ids[0]]);
        assert.deepEqual(rows, [{ topic: 'after' }]);
      } finally {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
      }
    });
  }
});

/**
 * PostgreSQL truncates names to 63 bytes. Index names were `<table>_<suffix>`, so for tables of
 * 58 to 63 characters two indexes got one name (`…_dedu`/`…_dead` → `…_d`) and
 * `CREATE INDEX IF NOT EXISTS` skipped the second in silence; at 63 characters every index
 * name was the table's own and the unique id index was skipped: a duplicate id was stored twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createOutbox } from '../../src/core/index.js';
import { createPostgresInbox, createPostgresStore } from '../../src/stores/postgres/index.js';
import { PG_URL, uniqueName } from '../support/env.js';

const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schema = uniqueName('names');
after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

const indexNames = async (table: string) =>
  (await pool.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [schema, table])).rows.map((r) => r.indexname as string);

/** A table name of exactly `length` characters. */
const named = (length: number) => `t${length}_`.padEnd(length, 'x');

describe('postgres: table names near the 63-byte limit', () => {
  for (const length of [57, 58, 59, 60, 61, 62, 63]) {
    it(`a ${length}-character table gets all its indexes, and a duplicate id is refused`, async () => {
      const table = named(length);
      const store = createPostgresStore({ pool, schema, table });
      await store.migrate();
      assert.equal(new Set(await indexNames(table)).size, 7, `indexes: ${(await indexNames(table)).join(', ')}`);
      const outbox = createOutbox({ store });
      const id = randomUUID();
      await store.transaction((tx) => outbox.send(tx, { id, topic: 't', payload: 1 }));
      await assert.rejects(store.transaction((tx) => outbox.send(tx, { id, topic: 't', payload: 2 })), { code: 'DUPLICATE_ID' });
      const first = await store.transaction((tx) => outbox.send(tx, { topic: 't', payload: 1, dedupKey: 'd' }));
      const second = await store.transaction((tx) => outbox.send(tx, { topic: 't', payload: 1, dedupKey: 'd' }));
      assert.deepEqual(first.duplicates, []);
      assert.deepEqual(second.duplicates, second.ids);
    });
  }

  it('keeps the names of tables whose derived names fit', async () => {
    const store = createPostgresStore({ pool, schema, table: 'orders_outbox' });
    await store.migrate();
    const expected = ['id', 'pending', 'key', 'dedup', 'processed', 'dead'].map((s) => `orders_outbox_${s}`);
    assert.deepEqual(await indexNames('orders_outbox'), ['orders_outbox_pkey', ...expected].sort());
  });

  it('gives long inbox tables their index, and long tables a notify channel', async () => {
    const table = named(63);
    const inbox = createPostgresInbox({ pool, schema, table: `${table.slice(0, 60)}_ib` });
    await inbox.migrate();
    assert.equal((await indexNames(`${table.slice(0, 60)}_ib`)).length, 2);
    assert.doesNotThrow(() => createPostgresStore({ pool, schema, table, notify: true }));
  });
});

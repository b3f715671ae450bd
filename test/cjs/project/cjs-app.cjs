// A CommonJS application: require() every entry point, use the store and the NestJS module, and
// check that TxboxError's instanceof holds between the CommonJS and the ESM copy of txbox.
'use strict';
const assert = require('node:assert/strict');
const txbox = require('txbox');
const { createPostgresStore } = require('txbox/postgres');
const { createMemoryStore, createRecordingProducer } = require('txbox/testing');
const { TxboxModule, Txbox } = require('txbox/nestjs');
const pg = require('pg');

const SUBPATHS = JSON.parse(process.env.TXBOX_SUBPATHS);

async function main() {
  for (const subpath of SUBPATHS) assert.equal(typeof require(subpath), 'object', subpath);

  const esm = await import('txbox');
  assert.notEqual(esm.TxboxError, txbox.TxboxError, 'two copies are loaded: the case the brand is for');
  const fromEsm = catching(() => esm.createOutbox({}));
  const fromCjs = catching(() => txbox.createOutbox({}));
  assert.ok(fromEsm instanceof txbox.TxboxError && fromCjs instanceof esm.TxboxError, 'TxboxError across copies');
  assert.ok(new esm.PermanentFailure('no') instanceof txbox.PermanentFailure, 'PermanentFailure across copies');
  assert.ok(!(fromEsm instanceof txbox.PermanentFailure) && !(new Error('x') instanceof txbox.TxboxError), 'no false positives');

  // A CommonJS store relayed by the ESM relay: the relay recognises the store's own errors.
  const pool = new pg.Pool({ connectionString: process.env.TXBOX_PG_URL, max: 2 });
  const table = `cjs_outbox_${process.pid}`;
  try {
    const store = createPostgresStore({ pool, table });
    await store.migrate();
    const { ids } = await store.transaction((client) => txbox.createOutbox({ store }).send(client, { topic: 't', payload: 'from cjs' }));
    const producer = createRecordingProducer();
    await esm.createRelay({ store, producer }).runOnce();
    assert.deepEqual(producer.messages.map((m) => m.id), ids);
    const refused = await store.transaction(() => txbox.createOutbox({ store }).send(pool, { topic: 't', payload: 'x' })).catch((e) => e);
    assert.ok(refused instanceof esm.TxboxError && refused.code === 'INVALID_ARGUMENT', 'the pool is refused');
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  }

  // The NestJS module from CommonJS, in a Nest application (Nest 12 is ESM: require(esm) loads it).
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const producer = createRecordingProducer();
  const store = createMemoryStore();
  const app = await NestFactory.createApplicationContext(TxboxModule.forRoot({ store, relays: [{ producer, pollIntervalMs: 20 }] }), { logger: false, abortOnError: false });
  const service = app.get(Txbox);
  await store.transaction((tx) => service.outbox.send(tx, { topic: 'nest', payload: 1 }));
  for (let i = 0; i < 200 && producer.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await app.close();
  assert.equal(producer.messages.length, 1, 'the relay started by the module delivered');
  assert.equal(service.relays[0].running, false, 'app.close() stopped the relay');
  console.log(JSON.stringify({ ok: true, node: process.version }));
}

function catching(fn) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createOutbox } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { eventually, PG_URL, uniqueName } from '../support/env.js';
import { ownRabbitMq } from '../transports/support/processes.js';
import { get, killDaemons, metricValue, runCli, startDaemon, type Daemon } from './support.js';

const AMQP_URL = process.env.TXBOX_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const dir = mkdtempSync(join(tmpdir(), 'txbox-daemon-'));
const producers = join(import.meta.dirname, 'fixtures', 'producers.mjs');
const schema = uniqueName('daemon');
const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
const queue = uniqueName('txbox_daemon');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const env = {
  TEST_PG_URL: PG_URL,
  TXBOX_TEST_RECORD: join(dir, 'recording.txt'),
  TXBOX_TEST_BEGIN: join(dir, 'begin.txt'),
  TXBOX_TEST_SLOW_MS: '1500',
  TXBOX_TEST_SLOW_RECORD: join(dir, 'slow.txt'),
  TXBOX_TEST_FAIL_FLAG: join(dir, 'broker-down.flag'),
  TXBOX_TEST_FLAKY_RECORD: join(dir, 'flaky.txt'),
};

let connection: amqp.ChannelModel;
const received: string[] = [];

function pgOutbox(table: string) {
  const store = createPostgresStore({ pool, schema, table });
  const outbox = createOutbox({ store });
  return {
    store,
    send: (n: number, topic: string) => store.transaction((tx) => outbox.send(tx, Array.from({ length: n }, (_, i) => ({ topic, key: `k${i % 4}`, payload: { i } })))),
    pending: async () => Number((await pool.query(`SELECT count(*) AS n FROM "${schema}"."${table}"`)).rows[0].n),
  };
}

function sqliteOutbox(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  const store = createSqliteStore({ db });
  const outbox = createOutbox({ store });
  return { store, db, send: (n: number) => store.transaction((tx) => outbox.sendSync(tx, Array.from({ length: n }, (_, i) => ({ topic: 'lite', payload: { i } })))) };
}

const rabbitOutbox = (table: string) => ({
  name: 'orders',
  store: { url: '${TEST_PG_URL}', schema, table },
  transport: { type: 'rabbitmq', url: AMQP_URL, exchange: '' },
  relay: { pollIntervalMs: 50 },
});
const moduleOutbox = (name: string, url: string, exportName: string, relay: object = { pollIntervalMs: 50 }) => ({
  name,
  store: { url },
  transport: { type: 'module', path: producers, export: exportName },
  relay,
});
const writeConfig = (file: string, outboxes: object[], extra: object = {}) =>
  writeFileSync(file, JSON.stringify({ http: { port: 0, host: '127.0.0.1' }, shutdownTimeoutMs: 15_000, outboxes, ...extra }, null, 2));

before(async () => {
  connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: false, autoDelete: true });
  await channel.consume(queue, (m) => m && received.push(String(m.properties.messageId)), { noAck: true });
});

after(async () => {
  killDaemons();
  await connection?.close().catch(() => {});
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('txbox relay (the daemon)', { timeout: 180_000 }, () => {
  const config = join(dir, 'txbox.config.json');
  const orders = pgOutbox('orders_outbox');
  const liteFile = join(dir, 'lite.db');
  const flakyFile = join(dir, 'flaky.db');
  let daemon: Daemon;
  let port: number;

  it('delivers a backlog to RabbitMQ and serves /healthz, /readyz and /metrics with counters moving', async () => {
    await orders.store.migrate();
    await orders.send(30, queue);
    writeConfig(config, [rabbitOutbox('orders_outbox')]);
    daemon = startDaemon(config, env);
    port = await daemon.port();
    await eventually(() => received.length >= 30, 20_000, 'the backlog in RabbitMQ');
    assert.equal(new Set(received).size, 30);
    assert.equal((await get(port, '/healthz')).status, 200);
    const ready = await get(port, '/readyz');
    assert.equal(ready.status, 200, ready.body);
    const delivered = async () => metricValue((await get(port, '/metrics')).body, 'txbox_relay_messages_total', { txbox_outbox_name: 'orders', txbox_outcome: 'delivered' });
    await eventually(async () => (await delivered()) === 30, 5000, 'the delivered counter at 30');
    await orders.send(5, queue);
    await eventually(async () => (await delivered()) === 35, 10_000, 'the delivered counter to move to 35');
    assert.equal(await orders.pending(), 0);
  });

  it('SIGHUP adds an outbox from the changed configuration: its messages flow without a restart', async () => {
    const lite = sqliteOutbox(liteFile);
    await lite.store.migrate();
    lite.send(10);
    writeConfig(config, [rabbitOutbox('orders_outbox'), moduleOutbox('lite', `sqlite://${liteFile}`, 'recording')]);
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/reloaded: running orders, lite/);
    await eventually(() => lines(env.TXBOX_TEST_RECORD).length === 10, 10_000, 'the added outbox to deliver');
    await orders.send(3, queue); // the outbox already running was left alone and still delivers
    await eventually(() => received.length === 38, 10_000, 'the first outbox to go on');
    assert.equal(daemon.child.exitCode, null, 'no restart');
    lite.db.close();
  });

  it('/readyz turns unready while a producer cannot reach its broker, and ready again when it can', async () => {
    // The shared RabbitMQ must not be stopped: a producer that fails while a flag file exists
    // stands for a broker that went away (it throws, as a publish to a closed port does).
    const flaky = sqliteOutbox(flakyFile);
    await flaky.store.migrate();
    writeFileSync(env.TXBOX_TEST_FAIL_FLAG, '');
    writeConfig(config, [rabbitOutbox('orders_outbox'), moduleOutbox('lite', `sqlite://${liteFile}`, 'recording'), moduleOutbox('flaky', `sqlite://${flakyFile}`, 'flaky')]);
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/reloaded: running orders, lite, flaky/);
    flaky.send(2);
    await eventually(async () => (await get(port, '/readyz')).status === 503, 10_000, '/readyz to turn 503');
    const body = JSON.parse((await get(port, '/readyz')).body);
    assert.equal(body.outboxes.flaky.producer, 'failing');
    assert.match(body.outboxes.flaky.lastError, /broker unreachable/);
    assert.equal(body.outboxes.orders.ready, true);
    unlinkSync(env.TXBOX_TEST_FAIL_FLAG);
    await eventually(async () => (await get(port, '/readyz')).status === 200, 20_000, '/readyz to turn 200 again');
    // Each failed message waits out its own retry backoff, so the second may come a moment later.
    await eventually(() => lines(env.TXBOX_TEST_FLAKY_RECORD).length === 2, 10_000, 'both messages delivered');
    const errors = metricValue((await get(port, '/metrics')).body, 'txbox_relay_errors_total', { txbox_outbox_name: 'flaky', txbox_event: 'produce.failed' });
    assert.ok(errors >= 1, `produce.failed counted (${errors})`);
    flaky.db.close();
  });

  it('/readyz turns unready when its own RabbitMQ stops, and ready again once it is back', async () => {
    const broker = await ownRabbitMq();
    const brokerUrl = `amqp://guest:guest@127.0.0.1:${broker.port}`;
    await broker.start();
    try {
      const own = pgOutbox('own_broker_outbox');
      await own.store.migrate();
      const setup = await amqp.connect(brokerUrl);
      await (await setup.createChannel()).assertQueue('own', { durable: true });
      await setup.close();
      const ownOutbox = { name: 'own', store: { url: '${TEST_PG_URL}', schema, table: 'own_broker_outbox' }, transport: { type: 'rabbitmq', url: brokerUrl, exchange: '' }, relay: { pollIntervalMs: 50 } };
      writeConfig(config, [rabbitOutbox('orders_outbox'), moduleOutbox('lite', `sqlite://${liteFile}`, 'recording'), ownOutbox]);
      daemon.child.kill('SIGHUP');
      await daemon.waitForLog(/reloaded: running orders, lite, own/);
      await own.send(2, 'own');
      await eventually(async () => (await own.pending()) === 0, 15_000, 'delivered to its own broker');
      assert.equal((await get(port, '/readyz')).status, 200);
      await broker.stop();
      await own.send(2, 'own');
      await eventually(async () => (await get(port, '/readyz')).status === 503, 20_000, '/readyz to turn 503 with the broker down');
      assert.equal(JSON.parse((await get(port, '/readyz')).body).outboxes.own.ready, false);
      await broker.start();
      await eventually(async () => (await own.pending()) === 0, 60_000, 'the backlog delivered once the broker is back');
      await eventually(async () => (await get(port, '/readyz')).status === 200, 20_000, '/readyz to turn 200 again');
    } finally {
      await broker.dispose();
    }
  });

  it('a configuration that no longer validates is refused on SIGHUP and the running one stays', async () => {
    writeFileSync(config, JSON.stringify({ outboxes: [{ name: 'orders', store: { url: 'x' }, transport: { type: 'nope' } }] }));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/reload refused, the running configuration stays: invalid configuration:\noutboxes\[0\]\.transport\.type/);
    assert.equal((await get(port, '/readyz')).status, 200);
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0, daemon.log());
  });

  it('SIGTERM while a slow producer holds a batch: that batch is acknowledged, exit 0, nothing delivered twice after a restart', async () => {
    const slow = pgOutbox('slow_outbox');
    await slow.store.migrate();
    await slow.send(20, 'slow');
    const slowConfig = join(dir, 'slow.config.json');
    writeConfig(slowConfig, [moduleOutbox('slow', '${TEST_PG_URL}', 'slow', { pollIntervalMs: 50, produceTimeoutMs: 10_000 })].map((o) => ({ ...o, store: { ...o.store, schema, table: 'slow_outbox' } })));
    const first = startDaemon(slowConfig, env);
    await eventually(() => existsSync(env.TXBOX_TEST_BEGIN), 20_000, 'the slow producer to hold a batch');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.log());
    assert.equal(lines(env.TXBOX_TEST_SLOW_RECORD).length, 20, 'the held batch was published');
    assert.equal(await slow.pending(), 0, 'and acknowledged before the exit');
    assert.match(first.log(), /SIGTERM: finishing the batches in flight/);

    const second = startDaemon(slowConfig, env);
    await second.port();
    await slow.send(1, 'slow');
    await eventually(() => lines(env.TXBOX_TEST_SLOW_RECORD).length === 21, 20_000, 'the restarted daemon to deliver the new message');
    const ids = lines(env.TXBOX_TEST_SLOW_RECORD);
    assert.equal(new Set(ids).size, ids.length, 'no id delivered twice');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0, second.log());
  });
});

describe('txbox relay refuses bad configuration', { timeout: 120_000 }, () => {
  const run = async (outboxes: unknown[], extra: object = {}, name = `${uniqueName('bad')}.json`) => {
    const file = join(dir, name);
    writeConfig(file, outboxes as object[], extra);
    return runCli(['relay', '--config', file], env);
  };
  const table = 'never_made';
  const valid = { name: 'o', store: { url: '${TEST_PG_URL}', schema, table }, transport: { type: 'rabbitmq', url: AMQP_URL }, migrate: true };
  const tableExists = async () => (await pool.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`"${schema}"."${table}"`])).rows[0].present as boolean;

  it('unknown keys, wrong types and unset variables: exit 2, each field named, nothing changed in the database', async () => {
    const unknown = await run([{ ...valid, transport: { ...valid.transport, exchang: 'x' } }], { shutdownTimeout: 5 });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^shutdownTimeout: unknown key$/m);
    assert.match(unknown.stderr, /^outboxes\[0\]\.transport\.exchang: unknown key$/m);
    const wrongType = await run([{ ...valid, relay: { batchSize: '100' } }]);
    assert.equal(wrongType.code, 2);
    assert.match(wrongType.stderr, /^outboxes\[0\]\.relay\.batchSize: .*expected number/mi);
    const unset = await run([{ ...valid, store: { ...valid.store, url: '${TXBOX_NOT_SET_ANYWHERE}' } }]);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /config outboxes\[0\]\.store\.url: environment variable TXBOX_NOT_SET_ANYWHERE is not set/);
    const storeOption = await run([{ ...valid, store: { ...valid.store, options: { claimMod: 'lease' } } }]);
    assert.equal(storeOption.code, 2);
    assert.match(storeOption.stderr, /outboxes\[0\]\.store: option claimMod is not a known option \(did you mean claimMode\?\)/);
    assert.equal(await tableExists(), false, 'no table was made by a refused configuration');
  });

  it('an unreachable database or module: exit 1 naming the field', async () => {
    const db = await run([{ ...valid, store: { url: 'postgres://postgres@127.0.0.1:1/test' } }]);
    assert.equal(db.code, 1);
    assert.match(db.stderr, /outboxes\[0\]\.store: cannot reach the postgres store postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    const mod = await run([{ ...valid, migrate: false, transport: { type: 'module', path: './no-such-producer.mjs' } }]);
    assert.equal(mod.code, 1);
    assert.match(mod.stderr, /outboxes\[0\]\.transport\.path: cannot import \.\/no-such-producer\.mjs/);
    assert.equal(await tableExists(), false);
  });
});

/**
 * A misspelt option (`tabel`, `pollInterval`) used to be ignored in silence and its default
 * used: an outbox written to the wrong table, a relay polling at another rate. Every factory now
 * refuses a key it does not know, naming it and the closest known one. Factories do no I/O, so
 * no server is needed: the drivers' objects are made but never connected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createInbox, createOutbox, createRelay } from '../../src/core/index.js';
import { createConsumers } from '../../src/consumers/index.js';
import { createMysqlInbox, createMysqlSchedules, createMysqlStore } from '../../src/stores/mysql/index.js';
import { createPgliteInbox, createPgliteSchedules, createPgliteStore, type PgliteLike } from '../../src/stores/pglite/index.js';
import { createPostgresInbox, createPostgresSchedules, createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createWebhookHandler, createWebhookProducer } from '../../src/transports/http/index.js';
import { consumeMqtt, createMqttProducer } from '../../src/transports/mqtt/index.js';
import { consumeJetStream, createNatsProducer } from '../../src/transports/nats/index.js';
import { consumeRabbitMq, createRabbitMqProducer } from '../../src/transports/rabbitmq/index.js';
import { consumeRedisStream, createRedisProducer } from '../../src/transports/redis/index.js';
import { PG_URL, MYSQL_URL } from '../support/env.js';

const pgPool = new pg.Pool({ connectionString: PG_URL });
const mysqlPool = mysql.createPool({ uri: MYSQL_URL });
const sqlite = new Database(':memory:');
const pglite = { query: async () => ({ rows: [] }), exec: async () => [], transaction: async () => undefined } as unknown as PgliteLike;
const sqliteStore = createSqliteStore({ db: sqlite });
const sqliteInbox = createSqliteInbox({ db: sqlite });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (o: object) => o as any;

const cases: [string, () => unknown, string, string | undefined][] = [
  ['createOutbox', () => createOutbox(loose({ store: sqliteStore, tracecontext: () => undefined })), 'tracecontext', 'traceContext'],
  ['createInbox', () => createInbox(loose({ store: sqliteInbox, window: 1000 })), 'window', 'windowMs'],
  ['createRelay', () => createRelay(loose({ store: sqliteStore, producer: () => {}, pollInterval: 10 })), 'pollInterval', 'pollIntervalMs'],
  ['createRelay retry', () => createRelay(loose({ store: sqliteStore, producer: () => {}, retry: { initalMs: 10 } })), 'retry.initalMs', 'initialMs'],
  ['createRelay cleanup', () => createRelay(loose({ store: sqliteStore, producer: () => {}, cleanup: { maxAge: 10 } })), 'cleanup.maxAge', 'maxAgeMs'],
  ['createPostgresStore', () => createPostgresStore(loose({ pool: pgPool, tabel: 'x' })), 'tabel', 'table'],
  ['createPostgresInbox', () => createPostgresInbox(loose({ pool: pgPool, shema: 'x' })), 'shema', 'schema'],
  ['createPostgresSchedules', () => createPostgresSchedules(loose({ pool: pgPool, tabel: 'x' })), 'tabel', 'table'],
  ['createPgliteStore', () => createPgliteStore(loose({ db: pglite, claimTimeout: 1000 })), 'claimTimeout', 'claimTimeoutMs'],
  ['createPgliteInbox', () => createPgliteInbox(loose({ db: pglite, tabel: 'x' })), 'tabel', 'table'],
  ['createPgliteSchedules', () => createPgliteSchedules(loose({ db: pglite, tabel: 'x' })), 'tabel', 'table'],
  ['createMysqlStore', () => createMysqlStore(loose({ pool: mysqlPool, claimmode: 'lock' })), 'claimmode', 'claimMode'],
  ['createMysqlInbox', () => createMysqlInbox(loose({ pool: mysqlPool, tabel: 'x' })), 'tabel', 'table'],
  ['createMysqlSchedules', () => createMysqlSchedules(loose({ pool: mysqlPool, tabel: 'x' })), 'tabel', 'table'],
  ['createSqliteStore', () => createSqliteStore(loose({ db: sqlite, completon: 'delete' })), 'completon', 'completion'],
  ['createSqliteInbox', () => createSqliteInbox(loose({ db: sqlite, tabel: 'x' })), 'tabel', 'table'],
  ['createSqliteSchedules', () => createSqliteSchedules(loose({ db: sqlite, tabel: 'x' })), 'tabel', 'table'],
  ['createConsumers', () => createConsumers(loose({ store: sqliteStore, inbox: sqliteInbox, consumers: [], batchsize: 1 })), 'batchsize', 'batchSize'],
  [
    'createConsumers definition',
    () => createConsumers(loose({ store: sqliteStore, inbox: sqliteInbox, consumers: [{ name: 'c', topics: ['t'], handle: () => {}, maxAttempt: 3 }] })),
    'consumers[0].maxAttempt',
    'maxAttempts',
  ],
  ['createWebhookProducer', () => createWebhookProducer(loose({ url: 'http://127.0.0.1:1/', secret: 'x'.repeat(32), publishTimeout: 1 })), 'publishTimeout', 'publishTimeoutMs'],
  ['createWebhookHandler', () => createWebhookHandler(loose({ secret: 'x'.repeat(32), handler: () => {}, maxBody: 1 })), 'maxBody', 'maxBodyBytes'],
  ['createMqttProducer', () => createMqttProducer(loose({ client: {}, qso: 1 })), 'qso', 'qos'],
  ['createNatsProducer', () => createNatsProducer(loose({ js: {}, subjet: 'x' })), 'subjet', 'subject'],
  ['createRabbitMqProducer', () => createRabbitMqProducer(loose({ channel: {}, exchange: 'x', persistant: true })), 'persistant', 'persistent'],
  ['createRedisProducer', () => createRedisProducer(loose({ redis: {}, maxlen: 1 })), 'maxlen', 'maxLen'],
  ['consumeMqtt', () => consumeMqtt(loose({ client: {}, topic: 't', handler: () => {}, onerror: () => {} })), 'onerror', 'onError'],
  ['consumeJetStream', () => consumeJetStream(loose({ consumer: {}, handler: () => {}, retryDelay: 1 })), 'retryDelay', 'retryDelayMs'],
  ['consumeRabbitMq', () => consumeRabbitMq(loose({ channel: {}, queue: 'q', handler: () => {}, prefech: 1 })), 'prefech', 'prefetch'],
  ['consumeRedisStream', () => consumeRedisStream(loose({ redis: {}, stream: 's', group: 'g', consumer: 'c', handler: () => {}, block: 1 })), 'block', 'blockMs'],
  ['a key far from every known one', () => createSqliteStore(loose({ db: sqlite, zzzzzzzz: 1 })), 'zzzzzzzz', undefined],
];

describe('unknown option keys', () => {
  for (const [factory, make, field, near] of cases) {
    it(`${factory} refuses ${field}`, async () => {
      const message = near === undefined ? /is not a known option \(known options: .*table/ : new RegExp(`did you mean (\\S+\\.)?${near}\\?`);
      await assert.rejects(async () => make(), { code: 'INVALID_OPTION', field, message });
    });
  }

  it('accepts every documented option', () => {
    createSqliteStore({ db: sqlite, name: 'n', table: 't', columns: { id: 'id' }, completion: 'markProcessed', claimTimeoutMs: 1000, clock: { now: Date.now, sleep: async () => {} } as never });
    createRelay({ store: sqliteStore, producer: () => {}, pollIntervalMs: 10, retry: { initialMs: 1, maxMs: 2, multiplier: 2, jitter: 0 }, cleanup: { maxAgeMs: 1 } });
  });

  it('ends the pools it made', async () => {
    await pgPool.end();
    await mysqlPool.end();
  });
});

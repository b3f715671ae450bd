/**
 * The daemon's NATS JetStream, Redis Streams and MQTT transports against the real brokers: each
 * outbox's backlog is delivered, and read back by a real subscriber of that broker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { createOutbox } from '../../src/core/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { MQTT_URL, NATS_URL, REDIS_URL } from '../transports/env.js';
import { eventually, uniqueName } from '../support/env.js';
import { get, killDaemons, runCli, startDaemon, type Daemon } from './support.js';

const N = 12;
const dir = mkdtempSync(join(tmpdir(), 'txbox-daemon-transports-'));
const prefix = uniqueName('txbox_daemon');

/** A SQLite outbox holding `N` messages of topic `orders` on three keys; answers their ids and a pending count. */
async function backlog(name: string) {
  const file = join(dir, `${name}.db`);
  const db = new Database(file);
  const store = createSqliteStore({ db });
  await store.migrate();
  const outbox = createOutbox({ store });
  const { ids } = store.transaction((tx) => outbox.sendSync(tx, Array.from({ length: N }, (_, i) => ({ topic: 'orders', key: `k${i % 3}`, payload: { i }, headers: { source: name } }))));
  db.close();
  const pending = () => {
    const check = new Database(file, { readonly: true });
    try {
      return Number((check.prepare('SELECT count(*) AS n FROM txbox_outbox').get() as { n: number }).n);
    } finally {
      check.close();
    }
  };
  return { url: `sqlite://${file}`, ids: [...ids], pending };
}

let nc: NatsConnection;
let jsm: JetStreamManager;
let redis: Redis;
let subscriber: MqttClient;
const stream = prefix.toUpperCase();
const mqttReceived: { topic: string; id: string; key: string | undefined }[] = [];

before(async () => {
  nc = await natsConnect({ servers: NATS_URL.replace(/^nats:\/\//, '') });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  redis = new Redis(REDIS_URL);
  subscriber = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  subscriber.on('message', (topic, _payload, packet) => {
    const props = (packet.properties?.userProperties ?? {}) as Record<string, string>;
    mqttReceived.push({ topic, id: props['txbox-id']!, key: props['txbox-key'] });
  });
  await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
});

after(async () => {
  killDaemons();
  await jsm?.streams.delete(stream).catch(() => false);
  await nc?.close();
  await redis?.del(`${prefix}:orders`).catch(() => 0);
  redis?.disconnect();
  await subscriber?.endAsync();
  rmSync(dir, { recursive: true, force: true });
});

/** The ids in order, per key: what per-key ordering promises. */
function byKey(entries: { id: string; key: string | undefined }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries) (out[e.key ?? ''] ??= []).push(e.id);
  return out;
}

describe('the daemon relays to NATS JetStream, Redis Streams and MQTT', { timeout: 180_000 }, () => {
  let daemon: Daemon;
  let sent: Record<'nats' | 'redis' | 'mqtt', Awaited<ReturnType<typeof backlog>>>;

  before(async () => {
    sent = { nats: await backlog('nats'), redis: await backlog('redis'), mqtt: await backlog('mqtt') };
    const config = join(dir, 'txbox.config.json');
    const relay = { pollIntervalMs: 50 };
    writeFileSync(config, JSON.stringify({
      http: { port: 0, host: '127.0.0.1' },
      outboxes: [
        { name: 'to-nats', store: { url: sent.nats.url }, transport: { type: 'nats', servers: NATS_URL, subjectPrefix: `${prefix}.` }, relay },
        { name: 'to-redis', store: { url: sent.redis.url }, transport: { type: 'redis', url: REDIS_URL, streamPrefix: `${prefix}:`, maxLen: 1000 }, relay },
        { name: 'to-mqtt', store: { url: sent.mqtt.url }, transport: { type: 'mqtt', url: MQTT_URL, topicPrefix: `${prefix}/`, qos: 1 }, relay },
      ],
    }));
    daemon = startDaemon(config);
    await daemon.port();
  });

  const expectedByKey = (ids: string[]) => byKey(ids.map((id, i) => ({ id, key: `k${i % 3}` })));

  it('NATS: the backlog is in the JetStream stream, on the prefixed subject, with each message id as Nats-Msg-Id', async () => {
    const consumer = await jetstream(nc).consumers.get(stream);
    const got: { id: string; key: string | undefined; subject: string }[] = [];
    const messages = await consumer.consume({ max_messages: N });
    const timer = setTimeout(() => void messages.close(), 30_000);
    for await (const m of messages) {
      got.push({ id: m.headers!.get('Nats-Msg-Id'), key: m.headers!.get('txbox-key') || undefined, subject: m.subject });
      m.ack();
      if (got.length === N) break;
    }
    clearTimeout(timer);
    assert.deepEqual(byKey(got), expectedByKey(sent.nats.ids));
    assert.ok(got.every((m) => m.subject === `${prefix}.orders`), JSON.stringify(got[0]));
    await eventually(() => sent.nats.pending() === 0, 10_000, 'the NATS outbox to be acknowledged');
  });

  it('Redis: the backlog is in the prefixed stream, each entry carrying its message id', async () => {
    const key = `${prefix}:orders`;
    await eventually(async () => (await redis.xlen(key)) >= N, 30_000, 'the Redis stream to hold the backlog');
    const entries = await redis.xrange(key, '-', '+');
    const fields = entries.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])));
    assert.deepEqual(byKey(fields.map((f) => ({ id: f.id!, key: f.key }))), expectedByKey(sent.redis.ids));
    assert.equal(fields[0]!.headers, JSON.stringify({ source: 'redis' }));
    await eventually(() => sent.redis.pending() === 0, 10_000, 'the Redis outbox to be acknowledged');
  });

  it('MQTT: a subscriber receives the backlog on the prefixed topic, the id and key as MQTT 5 user properties', async () => {
    await eventually(() => mqttReceived.length >= N, 30_000, 'the MQTT subscriber to receive the backlog');
    assert.deepEqual(byKey(mqttReceived), expectedByKey(sent.mqtt.ids));
    assert.ok(mqttReceived.every((m) => m.topic === `${prefix}/orders`));
    await eventually(() => sent.mqtt.pending() === 0, 10_000, 'the MQTT outbox to be acknowledged');
  });

  it('/readyz is ready for all three; SIGTERM stops the daemon with exit 0', async () => {
    const ready = await get(await daemon.port(), '/readyz');
    assert.equal(ready.status, 200, ready.body);
    assert.deepEqual(Object.keys(JSON.parse(ready.body).outboxes).sort(), ['to-mqtt', 'to-nats', 'to-redis']);
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0, daemon.log());
  });
});

describe('a NATS server that cannot be reached', { timeout: 120_000 }, () => {
  it('turns /readyz unready naming the outage, and counts no attempt against the waiting messages', async () => {
    const waiting = await backlog('nats-down');
    const config = join(dir, 'down.config.json');
    writeFileSync(config, JSON.stringify({
      http: { port: 0, host: '127.0.0.1' },
      outboxes: [{ name: 'down', store: { url: waiting.url }, transport: { type: 'nats', servers: '127.0.0.1:1', publishTimeoutMs: 500 }, relay: { pollIntervalMs: 50 } }],
    }));
    const daemon = startDaemon(config);
    const port = await daemon.port();
    await eventually(async () => (await get(port, '/readyz')).status === 503, 20_000, '/readyz to turn 503');
    const health = JSON.parse((await get(port, '/readyz')).body).outboxes.down;
    assert.equal(health.producer, 'failing');
    assert.match(health.lastError, /nats: cannot connect/);
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0, daemon.log());
    const db = new Database(waiting.url.slice('sqlite://'.length), { readonly: true });
    const rows = db.prepare('SELECT attempts, dead_at FROM txbox_outbox').all() as { attempts: number; dead_at: number | null }[];
    db.close();
    assert.equal(rows.length, N, 'nothing was delivered or lost');
    assert.deepEqual([...new Set(rows.map((r) => `${r.attempts}/${r.dead_at}`))], ['0/null'], 'an outage is no attempt');
  });
});

describe('the daemon refuses bad NATS, Redis and MQTT options, naming each field', { timeout: 60_000 }, () => {
  it('exit 2, one line per problem', async () => {
    const file = join(dir, 'bad.config.json');
    const store = { url: join(dir, 'never.db') };
    writeFileSync(file, JSON.stringify({
      outboxes: [
        { name: 'a', store, transport: { type: 'nats', servers: 4222, subjectPrefix: 'has space.' } },
        { name: 'b', store, transport: { type: 'nats', servers: 'nats://127.0.0.1:4222', user: 'relay' } },
        { name: 'c', store, transport: { type: 'redis', url: 'http://127.0.0.1:6379', maxLen: 0 } },
        { name: 'd', store, transport: { type: 'mqtt', url: MQTT_URL, qos: 0, topicPrefix: 'app/#/' } },
      ],
    }));
    const out = await runCli(['relay', '--config', file]);
    assert.equal(out.code, 2, out.stderr);
    for (const line of [
      /^outboxes\[0\]\.transport\.servers: must be a server \(host:4222 or nats:\/\/host:4222\) or a non-empty list of them$/m,
      /^outboxes\[0\]\.transport\.subjectPrefix: must hold no space and no wildcard/m,
      /^outboxes\[1\]\.transport\.pass: user and pass go together$/m,
      /^outboxes\[2\]\.transport\.url: must be a URL starting with redis:\/\/ or rediss:\/\/$/m,
      /^outboxes\[2\]\.transport\.maxLen: /m,
      /^outboxes\[3\]\.transport\.qos: must be 1 or 2/m,
      /^outboxes\[3\]\.transport\.topicPrefix: must hold no wildcard/m,
    ]) {
      assert.match(out.stderr, line);
    }
  });
});

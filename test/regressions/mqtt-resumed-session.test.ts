/**
 * Found by the fault harness (scenario "broker down and back", MQTT): a consumer restarted with
 * the persistent session the MQTT consumer docs recommend (fixed clientId, clean: false, session
 * expiry) loses every message the broker queued for it while it was away. The broker sends them
 * right after CONNACK; consumeMqtt() takes an already connected client, so by the time it installs
 * its handler mqtt.js has already acknowledged them (PUBACK) with its default handler.
 *
 * Expected: consumeMqtt refuses a connected persistent-session client (the loss has already
 * happened and cannot be undone), and takes a client created with `manualConnect: true`, which it
 * connects itself once its handler is in place; then nothing queued is lost.
 *
 * Run: node --import tsx --test test/regressions/mqtt-resumed-session.test.ts
 * (uses TXBOX_MQTT_URL, default mqtt://127.0.0.1:1883)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { uuidv7, type OutboxMessage } from '../../src/core/index.js';
import { consumeMqtt, createMqttProducer } from '../../src/transports/mqtt/index.js';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';

const URL = process.env.TXBOX_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

const message = (topic: string, n: number): OutboxMessage => ({
  id: uuidv7(),
  topic,
  key: 'k',
  payload: Buffer.from(JSON.stringify({ n })),
  contentType: 'application/json',
  headers: {},
  createdAt: new Date(),
  availableAt: new Date(),
  attempts: 0,
  dedupKey: null,
});

async function queueWhileAway(): Promise<{ topic: string; session: mqtt.IClientOptions; sent: OutboxMessage[] }> {
  const topic = `txbox-regression/${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const session = { protocolVersion: 5 as const, clientId: topic.replace(/\W/g, '-'), clean: false, properties: { sessionExpiryInterval: 60 } };
  // The consumer's session exists (it subscribed once), then the consumer goes away.
  const first = await mqtt.connectAsync(URL, session);
  await first.subscribeAsync(topic, { qos: 1 });
  await first.endAsync();
  const publisher = await mqtt.connectAsync(URL, { protocolVersion: 5 });
  const sent = [1, 2, 3, 4, 5].map((n) => message(topic, n));
  const result = await createMqttProducer({ client: publisher }).produce(sent, { key: { kind: 't', name: 't' }, signal: new AbortController().signal });
  assert.equal([...result.ok].length, 5);
  await publisher.endAsync();
  return { topic, session, sent };
}

test('a persistent-session client that is already connected is refused: what was queued for it is gone already', async () => {
  const { topic, session } = await queueWhileAway();
  const back = await mqtt.connectAsync(URL, { ...session, reconnectPeriod: 0 });
  try {
    await assert.rejects(consumeMqtt({ client: back, topic, handler: () => {} }), { code: 'INVALID_OPTION', field: 'client' });
  } finally {
    await back.endAsync(true);
  }
});

test('a consumer resuming its persistent session receives what was queued while it was away', async () => {
  const { topic, session, sent } = await queueWhileAway();
  const received: ReceivedMessage[] = [];
  const back = mqtt.connect(URL, { ...session, reconnectPeriod: 0, manualConnect: true });
  back.on('error', () => {});
  try {
    const sub = await Promise.race([
      consumeMqtt({ client: back, topic, handler: (m) => void received.push(m) }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('consumeMqtt did not connect the client it was given')), 3000)),
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    await sub.stop();
  } finally {
    await back.endAsync(true);
  }
  assert.deepEqual(received.map((m) => m.id), sent.map((m) => m.id), 'messages queued for the session were lost');
});

/** Broker addresses for the transport tests, overridable so the suite can run against other servers. */
export const AMQP_URL = process.env.TXBOX_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const NATS_URL = process.env.TXBOX_NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.TXBOX_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MQTT_URL = process.env.TXBOX_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** Binaries for the tests that start their own broker (restart, refusing ACL). */
export const BIN = {
  rabbitmq: process.env.TXBOX_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server',
  nats: process.env.TXBOX_NATS_SERVER ?? '/usr/sbin/nats-server',
  redis: process.env.TXBOX_REDIS_SERVER ?? 'redis-server',
  mosquitto: process.env.TXBOX_MOSQUITTO ?? '/usr/sbin/mosquitto',
};

export { PG_URL, uniqueName, sleep, eventually } from '../support/env.js';

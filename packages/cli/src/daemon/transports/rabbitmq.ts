import { confirmChannelSource, createRabbitMqProducer, type AmqpConnectionLike } from 'txbox/rabbitmq';
import { loadDriver } from '../../drivers.js';
import type { TransportOf } from '../transport-schema.js';
import { build, type OpenedTransport } from './opened.js';

interface AmqplibModule {
  connect(url: string): Promise<AmqpConnectionLike>;
}

export async function openRabbitMq(t: TransportOf<'rabbitmq'>, field: string): Promise<OpenedTransport> {
  const amqp = await loadDriver<AmqplibModule>('amqplib', `${field} (rabbitmq)`);
  // Connects lazily and again after the broker went away; the relay's backoff paces retries.
  const channel = confirmChannelSource(() => amqp.connect(t.url));
  const { url: _url, type: _type, ...rest } = t;
  return { producer: build(field, () => createRabbitMqProducer({ ...rest, channel })), system: 'rabbitmq', close: () => channel.close() };
}

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Producer } from 'txbox';
import { createWebhookProducer } from 'txbox/http';
import { confirmChannelSource, createRabbitMqProducer, type AmqpConnectionLike } from 'txbox/rabbitmq';
import { loadDriver } from '../drivers.js';
import { CliError, describeError } from '../exit.js';
import type { TransportConfig } from './config-schema.js';

export interface OpenedTransport {
  readonly producer: Producer;
  /** `messaging.system` for the metrics. */
  readonly system: string;
  close(): Promise<void>;
}

interface AmqplibModule {
  connect(url: string): Promise<AmqpConnectionLike>;
}

/** Builds the producer a transport entry describes; `field` names it in errors (`outboxes[1].transport`). */
export async function openTransport(t: TransportConfig, configDir: string, field: string): Promise<OpenedTransport> {
  const options = (fn: () => Producer) => {
    try {
      return fn();
    } catch (error) {
      throw describeError(error, `${field}: `);
    }
  };
  if (t.type === 'rabbitmq') {
    const amqp = await loadDriver<AmqplibModule>('amqplib', `${field} (rabbitmq)`);
    // Connects lazily and again after the broker went away; the relay's backoff paces retries.
    const channel = confirmChannelSource(() => amqp.connect(t.url));
    const { url: _url, type: _type, ...rest } = t;
    return { producer: options(() => createRabbitMqProducer({ ...rest, channel })), system: 'rabbitmq', close: () => channel.close() };
  }
  if (t.type === 'http') {
    const { type: _type, ...rest } = t;
    return { producer: options(() => createWebhookProducer(rest)), system: 'http', close: async () => {} };
  }
  const href = pathToFileURL(resolve(configDir, t.path)).href;
  let module: Record<string, unknown>;
  try {
    module = (await import(href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${field}.path: cannot import ${t.path}: ${(error as Error).message}`);
  }
  const producer = module[t.export] as Producer;
  if (typeof producer !== 'function' && typeof (producer as { produce?: unknown } | undefined)?.produce !== 'function') {
    throw new CliError(`${field}.export: ${t.path} exports no producer named ${JSON.stringify(t.export)} (a function, or an object with produce())`);
  }
  const close = (producer as { close?: () => unknown }).close;
  return { producer, system: 'module', close: async () => void (await close?.call(producer)) };
}

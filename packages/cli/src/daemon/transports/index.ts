import type { TransportConfig } from '../transport-schema.js';
import { openHttp } from './http.js';
import { openModule } from './module.js';
import { openMqtt } from './mqtt.js';
import { openNats } from './nats.js';
import type { OpenedTransport } from './opened.js';
import { openRabbitMq } from './rabbitmq.js';
import { openRedis } from './redis.js';

export type { OpenedTransport } from './opened.js';

/**
 * Builds the producer a transport entry describes; `field` names it in errors
 * (`outboxes[1].transport`). Constructing connects to no broker: each connects on first use.
 */
export function openTransport(t: TransportConfig, configDir: string, field: string): Promise<OpenedTransport> {
  switch (t.type) {
    case 'rabbitmq':
      return openRabbitMq(t, field);
    case 'http':
      return openHttp(t, field);
    case 'nats':
      return openNats(t, field);
    case 'redis':
      return openRedis(t, field);
    case 'mqtt':
      return openMqtt(t, field);
    case 'module':
      return openModule(t, configDir, field);
  }
}

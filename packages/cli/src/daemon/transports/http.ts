import { createWebhookProducer } from 'txbox/http';
import type { TransportOf } from '../transport-schema.js';
import { build, type OpenedTransport } from './opened.js';

export async function openHttp(t: TransportOf<'http'>, field: string): Promise<OpenedTransport> {
  const { type: _type, ...rest } = t;
  return { producer: build(field, () => createWebhookProducer(rest)), system: 'http', close: async () => {} };
}

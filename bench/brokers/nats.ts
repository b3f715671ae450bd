import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import type { OutboxMessage } from '../../src/core/index.js';
import { createNatsProducer } from '../../src/transports/nats/index.js';
import type { BrokerRig } from './rabbitmq.js';

export const NATS_URL = process.env.TXBOX_NATS_URL ?? '127.0.0.1:4222';

/**
 * A file-backed JetStream stream of its own; both sides publish with Nats-Msg-Id (the stream's
 * dedup key) and wait for every PubAck.
 */
export async function openNats(): Promise<BrokerRig> {
  const tag = `txbox_bench_${process.pid}`;
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: tag, subjects: [`${tag}.>`] });
  const js = jetstream(nc);
  const subject = (topic: string) => `${tag}.${topic}`;
  return {
    name: 'nats',
    producer(maxInFlight) {
      const p = createNatsProducer({ js, headers, connection: nc, subject: (m) => subject(m.topic), ...(maxInFlight !== undefined && { maxInFlight }) });
      return (messages: readonly OutboxMessage[], context) => p.produce(messages, context);
    },
    async publishRaw(rows) {
      await Promise.all(
        rows.map((r) => {
          const h = headers();
          h.set('Content-Type', r.content_type);
          return js.publish(subject(r.topic), r.payload, { msgID: r.id, headers: h });
        }),
      );
    },
    count: async () => (await jsm.streams.info(tag)).state.messages,
    purge: async () => {
      await jsm.streams.purge(tag);
    },
    async close() {
      await jsm.streams.delete(tag).catch(() => {});
      await nc.close();
    },
  };
}

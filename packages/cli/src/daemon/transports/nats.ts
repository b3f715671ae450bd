import { createNatsProducer, type JetStreamPublisherLike, type NatsHeadersLike, type NatsStatusLike } from 'txbox/nats';
import { loadDriver } from '../../drivers.js';
import type { TransportOf } from '../transport-schema.js';
import { lazyConnection, lazyProducer } from './lazy.js';
import type { OpenedTransport } from './opened.js';

interface NatsConnection extends NatsStatusLike {
  close(): Promise<void>;
}

interface NatsModule {
  connect(options: object): Promise<NatsConnection>;
  headers(): NatsHeadersLike;
}

interface JetStreamModule {
  jetstream(nc: NatsConnection): JetStreamPublisherLike;
}

/** NATS JetStream through `@nats-io/transport-node` and `@nats-io/jetstream`, loaded from the project. */
export async function openNats(t: TransportOf<'nats'>, field: string): Promise<OpenedTransport> {
  const what = `${field} (nats)`;
  const nats = await loadDriver<NatsModule>('@nats-io/transport-node', what);
  const { jetstream } = await loadDriver<JetStreamModule>('@nats-io/jetstream', what);
  const { servers, user, pass, token, subjectPrefix, publishTimeoutMs, maxInFlight } = t;
  const publish = { ...(publishTimeoutMs !== undefined ? { publishTimeoutMs } : {}), ...(maxInFlight !== undefined ? { maxInFlight } : {}) };
  const producerFor = (nc: NatsConnection) =>
    createNatsProducer({ js: jetstream(nc), headers: nats.headers, connection: nc, subject: (m) => `${subjectPrefix}${m.topic}`, ...publish });
  const connection = lazyConnection(
    // Once made, the client reconnects by itself for as long as the daemon runs.
    () => nats.connect({ servers, name: 'txbox relay', maxReconnectAttempts: -1, timeout: publishTimeoutMs ?? 5000, ...(user !== undefined ? { user, pass } : {}), ...(token !== undefined ? { token } : {}) }),
    (nc) => !nc.isClosed(),
  );
  return { producer: lazyProducer(connection, 'nats', producerFor), system: 'nats', close: () => connection.close((nc) => nc.close()) };
}

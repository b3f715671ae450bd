import { randomUUID } from 'node:crypto';
import {
  DatabaseSetup,
  getDisabledLogger,
  initializeMessageStorage,
  initializePollingMessageListener,
  type PollingListenerConfig,
  type TransactionalMessage,
} from 'pg-transactional-outbox';
import type { BenchDatabase } from '../lib/pg.js';
import type { Peer, PeerPayload } from './peer.js';

const TABLE = 'pgto_outbox';
const FN = 'next_pgto_outbox_messages';

/**
 * pg-transactional-outbox 0.5 with its polling listener (its logical-replication listener needs
 * wal_level=logical, which this server does not run). Messages are sent with concurrency
 * 'parallel', the equivalent of txbox's unkeyed messages. Defaults: batch 5, poll every 500 ms;
 * best: larger batches polled more often (its two documented knobs).
 */
export function pgtoPeer(db: BenchDatabase): Peer {
  const pool = db.pool(2);
  const logger = getDisabledLogger();
  const best = { batchSize: 50, pollingMs: 50 };
  const setup = { outboxOrInbox: 'outbox' as const, database: db.name, schema: 'public', table: TABLE, listenerRole: 'postgres', nextMessagesName: FN };
  const config = (batch?: number, pollMs?: number): PollingListenerConfig => ({
    outboxOrInbox: 'outbox',
    dbListenerConfig: { connectionString: db.url },
    dbHandlerConfig: { connectionString: db.url },
    settings: {
      dbSchema: 'public',
      dbTable: TABLE,
      enableMaxAttemptsProtection: false,
      enablePoisonousMessageProtection: false,
      nextMessagesFunctionName: FN,
      messageCleanupIntervalInMs: 0,
      ...(batch !== undefined && { nextMessagesBatchSize: batch }),
      ...(pollMs !== undefined && { nextMessagesPollingIntervalInMs: pollMs }),
    },
  });
  const store = initializeMessageStorage(config(), logger);
  return {
    name: 'pg-transactional-outbox',
    variants: {
      defaults: 'polling listener with its defaults: nextMessagesBatchSize 5, nextMessagesPollingIntervalInMs 500',
      best: `nextMessagesBatchSize ${best.batchSize}, nextMessagesPollingIntervalInMs ${best.pollingMs}`,
    },
    async setup() {
      await pool.query(DatabaseSetup.dropAndCreateTable(setup));
      await pool.query(DatabaseSetup.createPollingFunction(setup));
      await pool.query(DatabaseSetup.setupPollingIndexes(setup));
    },
    async enqueue(client, payload) {
      const message: TransactionalMessage = {
        id: randomUUID(),
        aggregateType: 'order',
        aggregateId: String(payload.seq),
        messageType: 'order_created',
        payload,
        concurrency: 'parallel',
      };
      await store(message, client);
    },
    async bulkLoad(n) {
      await pool.query(
        `INSERT INTO ${TABLE} (id, aggregate_type, aggregate_id, message_type, concurrency, payload)
         SELECT gen_random_uuid(), 'order', g::text, 'order_created', 'parallel', json_build_object('seq', g, 'amount', 42.5)
         FROM generate_series(0, $1::int - 1) g`,
        [n],
      );
    },
    async consume(variant, handle) {
      const c = variant === 'best' ? config(best.batchSize, best.pollingMs) : config();
      const [shutdown] = initializePollingMessageListener(c, { handle: async (m: TransactionalMessage) => handle(m.payload as PeerPayload) }, logger);
      return shutdown;
    },
    async reset() {
      await pool.query(`DELETE FROM ${TABLE}`);
    },
    async close() {
      await db.close(pool);
    },
  };
}

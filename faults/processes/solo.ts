/**
 * A one-process application on PGlite, the in-process database: its writers, its relay and the
 * database live in one Node.js process, as they would in an app that embeds PGlite. Writers run
 * the business transactions of writer.ts; the relay publishes to a webhook receiver with txbox's
 * HTTP producer. It reports what a relay process reports (ready, failed, stopped) plus the number
 * of pending messages, and dumps the end state for the checker before it exits on SIGTERM (the
 * harness cannot open the database itself: PGlite has one connection, in this process).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createOutbox, createRelay, uuidv7, type RelayEvent } from '../../src/core/index.js';
import { createPgliteStore } from '../../src/stores/pglite/index.js';
import { createWebhookProducer } from '../../src/transports/http/index.js';
import { errorText, seeded, sleep } from '../util.js';
import { parseConfig, tables, type SoloConfig, type WorkPayload } from './config.js';
import { emit } from './protocol.js';
import { watchResources } from './resources.js';
import { logged, refusing } from './sinks.js';

const cfg = parseConfig<SoloConfig>();
const t = tables(cfg.prefix);
const random = seeded(cfg.seed);
const db = new PGlite();
await db.exec(`CREATE TABLE "${t.agg}" (key text PRIMARY KEY, version int NOT NULL);
CREATE TABLE "${t.biz}" (id uuid PRIMARY KEY, key text NOT NULL, version int NOT NULL, delay_ms int NOT NULL, sent_at_ms bigint NOT NULL, poison boolean NOT NULL);
INSERT INTO "${t.agg}" SELECT 'k' || i, 0 FROM generate_series(0, ${cfg.keys - 1}) i;`);
const store = createPgliteStore({ db, table: t.outbox, claimTimeoutMs: cfg.claimTimeoutMs });
await store.migrate();
const outbox = createOutbox({ store });

const webhook = createWebhookProducer({ url: cfg.receiverUrl, secret: cfg.secret, publishTimeoutMs: cfg.publishTimeoutMs });
const onEvent = (e: RelayEvent) => {
  // A failed message is in backoff: the liveness figure leaves it out (as for relay processes).
  if (e.type === 'message.failed' || e.type === 'message.dead') emit({ ev: 'failed', id: e.id });
};
const relay = createRelay({
  store,
  producer: refusing(logged((m, c) => webhook.produce(m, c), cfg.publishedLog, cfg.name)),
  owner: cfg.name,
  batchSize: cfg.batchSize,
  pollIntervalMs: cfg.pollIntervalMs,
  produceTimeoutMs: cfg.produceTimeoutMs,
  maxAttempts: 1_000_000,
  retry: { initialMs: cfg.retryMs, maxMs: cfg.retryMs * 8, multiplier: 2, jitter: 0.2 },
  claimBackoff: { initialMs: 50, maxMs: 1000, multiplier: 2, jitter: 0.2 },
  produceBackoff: { initialMs: 50, maxMs: 1000, multiplier: 2, jitter: 0.2 },
  watch: false,
  onEvent,
});

let writing = true;
const history = (ev: string, m: { id: string; key: string; v: number }) => appendFileSync(cfg.history, `${JSON.stringify({ ev, ...m, t: Date.now() })}\n`);
class Rollback extends Error {}

/** One business transaction: bump the key's version, insert the business row, send its message. */
async function transact(): Promise<void> {
  const id = uuidv7();
  const key = `k${Math.floor(random() * cfg.keys)}`;
  const rollback = random() < cfg.rollbackRate;
  const delayMs = random() < cfg.delayedRate ? cfg.delayMs : 0;
  let v = 0;
  try {
    await store.transaction(async (tx) => {
      const { rows } = await tx.query(`SELECT version FROM "${t.agg}" WHERE key = $1 FOR UPDATE`, [key]);
      v = Number((rows[0] as { version: number }).version) + 1;
      await tx.query(`UPDATE "${t.agg}" SET version = $2 WHERE key = $1`, [key, v]);
      await tx.query(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES ($1, $2, $3, $4, $5, false)`, [id, key, v, delayMs, Date.now()]);
      history('attempt', { id, key, v });
      const payload: WorkPayload = { id, key, v };
      await outbox.send(tx, { id, topic: 'work', key, payload, ...(delayMs > 0 ? { delayMs } : {}) });
      if (rollback) throw new Rollback();
    });
    history('commit', { id, key, v });
  } catch (error) {
    if (v > 0) history(error instanceof Rollback ? 'rollback' : 'failed', { id, key, v });
    if (!(error instanceof Rollback)) await sleep(50);
  }
}

const writers = Promise.all(
  Array.from({ length: cfg.writers }, async () => {
    while (writing) {
      await transact();
      await sleep(cfg.paceMs * (0.5 + random()));
    }
  }),
).then(() => emit({ ev: 'writers.done' }));

const pendingSql = `SELECT count(*)::int AS n FROM "${t.outbox}" WHERE processed_at IS NULL AND dead_at IS NULL`;
const reporting = setInterval(() => {
  void db.query<{ n: number }>(pendingSql).then(
    (r) => emit({ ev: 'outbox', pending: r.rows[0]!.n }),
    (error) => emit({ ev: 'outbox', error: errorText(error) }),
  );
}, 250);

const resources = watchResources(undefined);
relay.start();
emit({ ev: 'ready' });

process.on('SIGUSR1', () => (writing = false));
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  writing = false;
  void (async () => {
    await writers;
    const stoppedInTime = await Promise.race([relay.stop().then(() => true), sleep(5000).then(() => false)]);
    clearInterval(reporting);
    const report = resources.report();
    await dump();
    emit({ ev: 'stopped', resources: report, stoppedInTime });
    await db.close().catch(() => {});
    process.exit(0);
  })();
});

/** The end state the harness reads instead of the database: business rows, pending and dead messages. */
async function dump(): Promise<void> {
  const committed = (await db.query(`SELECT id::text AS id, key, version, delay_ms, sent_at_ms, poison FROM "${t.biz}"`)).rows;
  const pending = (await db.query<{ id: string }>(`SELECT id::text AS id FROM "${t.outbox}" WHERE processed_at IS NULL AND dead_at IS NULL`)).rows.map((r) => r.id);
  const dead = (await db.query<{ id: string; at: number }>(`SELECT id::text AS id, floor(extract(epoch FROM dead_at) * 1000)::float8 AS at FROM "${t.outbox}" WHERE dead_at IS NOT NULL`)).rows;
  writeFileSync(cfg.dump, JSON.stringify({ committed, pending, dead }));
}

process.on('unhandledRejection', (error) => {
  emit({ ev: 'crash', error: errorText(error) });
  process.exit(70);
});

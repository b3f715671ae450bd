/**
 * A relay process of the harness: a real txbox relay over the run's store and sink, with the
 * scenario's failpoints woven around its driver, store and producer, and its clock skewed if
 * asked. It reports on stdout (see protocol.ts) and stops cleanly on SIGTERM.
 */
import { createRelay, systemClock, type Clock, type RelayEvent } from '../../src/core/index.js';
import { errorText } from '../util.js';
import { parseConfig, type RelayConfig } from './config.js';
import { createFailpoints } from './failpoints.js';
import { emit } from './protocol.js';
import { openSink, refusing } from './sinks.js';
import { openMysqlPool, openPgPool, openSqlite, openStore, type AnyStore } from './targets.js';
import { wrapPgPool, wrapProducer, wrapSqlite, wrapStore, type StoreActivity } from './wrap.js';

const cfg = parseConfig<RelayConfig>();
const fp = createFailpoints(cfg.failpoints);
const kind = cfg.target.kind;

// The relay process's idea of time: ahead or behind the machine's, and possibly running fast or slow.
const origin = Date.now();
const clock: Clock = {
  now: () => origin + (Date.now() - origin) * cfg.clockRate + cfg.skewMs,
  sleep: systemClock.sleep,
};

let store: AnyStore;
let close: () => Promise<void>;
const activity: StoreActivity = { claiming: false, settling: undefined };
if (kind === 'sqlite') {
  const db = openSqlite(cfg.target.file!);
  const wrapped = wrapSqlite(db, fp, activity);
  store = wrapStore(await openStore(cfg.target, wrapped, clock), fp, { claimPoint: true, settlePoint: false, activity });
  close = async () => void db.close();
} else if (kind === 'mysql') {
  const pool = openMysqlPool(cfg.target, cfg.concurrency + 2);
  store = wrapStore(await openStore(cfg.target, pool), fp, { claimPoint: true, settlePoint: true, activity });
  close = () => pool.end();
} else {
  const pool = openPgPool(cfg.target, cfg.concurrency + 2);
  store = wrapStore(await openStore(cfg.target, wrapPgPool(pool, fp, activity)), fp, { claimPoint: false, settlePoint: false, activity });
  close = () => pool.end();
}

const sink = await openSink(cfg.sink, cfg.name);

// Events are counted, and the rare ones reported, so the harness can tell when a fault was noticed.
const counts: Record<string, number> = {};
const reported = new Set(['batch.expired', 'settle.failed', 'claim.failed', 'produce.failed', 'message.dead', 'order.violated']);
const lastReport = new Map<string, number>();
const onEvent = (e: RelayEvent) => {
  counts[e.type] = (counts[e.type] ?? 0) + 1;
  if (e.type === 'batch.settled' && e.lost > 0) counts.lostClaims = (counts.lostClaims ?? 0) + e.lost;
  if (!reported.has(e.type)) return;
  const now = Date.now();
  if (now - (lastReport.get(e.type) ?? 0) < 250) return;
  lastReport.set(e.type, now);
  const error = 'error' in e ? errorText(e.error) : undefined;
  emit({ ev: 'relay', type: e.type, ...(error ? { error } : {}), ...('ids' in e ? { ids: e.ids } : {}) });
};

const relay = createRelay({
  store,
  producer: wrapProducer(refusing(sink.produce), fp),
  owner: cfg.name,
  batchSize: cfg.batchSize,
  concurrency: cfg.concurrency,
  pollIntervalMs: cfg.pollIntervalMs,
  produceTimeoutMs: cfg.produceTimeoutMs,
  maxAttempts: cfg.maxAttempts,
  retry: { initialMs: cfg.retryMs, maxMs: cfg.retryMs * 8, multiplier: 2, jitter: 0.2 },
  claimBackoff: { initialMs: 50, maxMs: 1000, multiplier: 2, jitter: 0.2 },
  produceBackoff: { initialMs: 50, maxMs: 1000, multiplier: 2, jitter: 0.2 },
  settleBackoff: { initialMs: 20, maxMs: 500, multiplier: 2, jitter: 0.2 },
  watch: false,
  clock,
  onEvent,
});

if (cfg.reportMemory) {
  setInterval(() => emit({ ev: 'memory', rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }), 1000).unref();
}

relay.start();
emit({ ev: 'ready' });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await relay.stop();
    await sink.close().catch(() => {});
    await close().catch(() => {});
    emit({ ev: 'stopped', counts });
    process.exit(0);
  })();
});
// A rejection the relay did not handle is a finding, not a crash to hide: report and die loudly.
process.on('unhandledRejection', (error) => {
  emit({ ev: 'crash', error: errorText(error) });
  process.exit(70);
});
process.on('uncaughtException', (error) => {
  emit({ ev: 'crash', error: errorText(error) });
  process.exit(70);
});

/**
 * A relay process of the harness: a real txbox relay over the run's store and sink, with the
 * scenario's failpoints woven around its driver, store and producer, and its clock skewed if
 * asked. It reports on stdout (see protocol.ts) and stops cleanly on SIGTERM.
 */
import { createRelay, systemClock, type Clock, type RelayEvent } from '../../src/core/index.js';
import { errorText, sleep } from '../util.js';
import { isMysql, parseConfig, type RelayConfig } from './config.js';
import { createFailpoints } from './failpoints.js';
import { scheduleHog } from './hog.js';
import { headVerdict, hostile, zombie } from './misbehave.js';
import { emit } from './protocol.js';
import { watchResources } from './resources.js';
import { logged, openSink, refusing } from './sinks.js';
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
let pool: unknown;
const activity: StoreActivity = { claiming: false, settling: undefined };
if (kind === 'sqlite') {
  const db = openSqlite(cfg.target.file!);
  const wrapped = wrapSqlite(db, fp, activity);
  store = wrapStore(await openStore(cfg.target, wrapped, clock), fp, { claimPoint: true, settlePoint: false, activity });
  close = async () => void db.close();
} else if (isMysql(kind)) {
  const mysqlPool = openMysqlPool(cfg.target, cfg.concurrency + 2);
  pool = mysqlPool;
  store = wrapStore(await openStore(cfg.target, mysqlPool), fp, { claimPoint: true, settlePoint: true, activity });
  close = () => mysqlPool.end();
} else {
  const pgPool = openPgPool(cfg.target, cfg.concurrency + 2);
  pool = pgPool;
  store = wrapStore(await openStore(cfg.target, wrapPgPool(pgPool, fp, activity)), fp, { claimPoint: false, settlePoint: false, activity });
  close = () => pgPool.end();
}

const sink = await openSink(cfg.sink, cfg.name);
const publish = cfg.publishedLog ? logged(sink.produce, cfg.publishedLog, cfg.name) : sink.produce;

// Events are counted, and the rare ones reported, so the harness can tell when a fault was noticed.
const counts: Record<string, number> = {};
const reported = new Set(['batch.expired', 'settle.failed', 'claim.failed', 'produce.failed', 'message.dead', 'order.violated']);
const lastReport = new Map<string, number>();
const onEvent = (e: RelayEvent) => {
  counts[e.type] = (counts[e.type] ?? 0) + 1;
  // Every failure, unthrottled: a failed message is in backoff, so the liveness check leaves it out.
  if (e.type === 'message.failed' || e.type === 'message.dead') emit({ ev: 'failed', id: e.id });
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
  producer: wrapProducer(hostile(refusing(zombie(publish, cfg.zombie), headVerdict(cfg.heads)), cfg.hostile), fp),
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

const resources = watchResources(pool);
relay.start();
scheduleHog(cfg.hog && { ...cfg.hog, connections: cfg.concurrency + 2 }, kind === 'sqlite' ? { sqliteFile: cfg.target.file! } : { pool });
emit({ ev: 'ready' });

/** How long a clean stop may take before the relay counts as wedged (and stops anyway). */
const STOP_WAIT_MS = 5000;

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    const stoppedInTime = await Promise.race([relay.stop().then(() => true), sleep(STOP_WAIT_MS).then(() => false)]);
    // Read before the pool closes: what the stopped relay still holds is a leak.
    const report = resources.report();
    emit({ ev: 'stopped', counts, resources: report, stoppedInTime });
    // A pool with a connection still out would wait for it forever: the figure above tells.
    await Promise.race([Promise.all([sink.close().catch(() => {}), close().catch(() => {})]), sleep(2000)]);
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

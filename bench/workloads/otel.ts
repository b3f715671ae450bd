import type pg from 'pg';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createOutbox } from '../../src/core/index.js';
import { createOtelInstrumentation } from '../../src/opentelemetry/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, countRows, createBusinessTable, insertOrderSql, makeStore, type BenchDatabase } from '../lib/pg.js';
import { drainWithRelays, type DrainRun } from '../lib/relays.js';
import { inRounds } from '../lib/rounds.js';
import { best, ratio } from '../lib/stats.js';
import { inTransaction, runClosedLoop, type WriteRun } from '../lib/writers.js';
import { orderMessage } from './write.js';

const TABLE = 'otel_outbox';
/** Every drained message carries a trace context, so the publish span links each one. */
const HEADERS = JSON.stringify({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', baggage: 'tenant=acme' });

/** Spans are made, batched and handed over, then dropped: the cost of tracing minus the network. */
const discard: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };

export interface OtelResult {
  drain: { off: DrainRun; on: DrainRun; ratio: number | null; ratio_per_round: (number | null)[]; ratio_median: number | null };
  write: { off: WriteRun; on: WriteRun; ratio: number | null; ratio_per_round: (number | null)[]; ratio_median: number | null };
}

/**
 * Instrumentation on (the real SDK, metrics read every second and spans batched, both exported
 * nowhere) versus off, in the same run: a drain of a backlog (batch 500) and writers sending one
 * message with each business row. Target: on / off >= 0.95 for both.
 */
export async function runOtel(db: BenchDatabase, cfg: BenchConfig): Promise<OtelResult> {
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.DELTA), exportIntervalMillis: 1000 })] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
  const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  const otel = createOtelInstrumentation({ meterProvider, tracerProvider, propagator });
  try {
    return { drain: await drain(db, cfg, otel), write: await write(db, cfg, otel) };
  } finally {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  }
}

type Otel = ReturnType<typeof createOtelInstrumentation>;

async function drain(db: BenchDatabase, cfg: BenchConfig, otel: Otel): Promise<OtelResult['drain']> {
  const n = cfg.messages;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const spec = { relays: 1, batchSize: 500 };
  const variants: Record<string, () => Promise<DrainRun>> = {
    off: () => drainWithRelays(db, TABLE, n, spec),
    on: () => drainWithRelays(db, TABLE, n, spec, otel.wrapProducer(() => {}, { system: 'bench' }), undefined, otel.onEvent),
  };
  const { runs, ratio_per_round, ratio_median } = await inRounds(
    Object.keys(variants),
    cfg.shortRounds,
    async (name, round) => {
      await bulkLoad(admin, TABLE, n);
      await admin.query(`UPDATE ${TABLE} SET headers = $1`, [HEADERS]);
      await admin.query(`VACUUM ANALYZE ${TABLE}`);
      const run = await variants[name]!();
      const left = await countRows(admin, TABLE);
      if (left !== 0) throw new Error(`otel drain ${name} left ${left} rows behind`);
      progress(`otel drain ${name} round ${round + 1}: ${run.msgs_per_s} msgs/s`);
      return run;
    },
    (r) => r.msgs_per_s,
    { txbox: 'on', raw: 'off' },
  );
  await db.close(admin);
  const off = best(runs.off!, (r) => r.msgs_per_s);
  const on = best(runs.on!, (r) => r.msgs_per_s);
  return { off, on, ratio: ratio(on.msgs_per_s, off.msgs_per_s), ratio_per_round, ratio_median };
}

async function write(db: BenchDatabase, cfg: BenchConfig, otel: Otel): Promise<OtelResult['write']> {
  const pool = db.pool(cfg.writers + 2);
  await createBusinessTable(pool);
  const store = await makeStore(pool, 'otel_write');
  const plain = createOutbox({ store });
  const traced = otel.instrumentOutbox(createOutbox({ store, traceContext: otel.traceContext }));
  const orderSql = insertOrderSql();
  const tx = (outbox: typeof plain) => (c: pg.PoolClient, i: number) =>
    inTransaction(c, async () => {
      await c.query(orderSql, [`customer-${i % 1000}`, 42.5]);
      await outbox.send(c, orderMessage(i));
    });
  const variants: Record<string, (c: pg.PoolClient, i: number) => Promise<void>> = { off: tx(plain), on: tx(traced) };
  await runClosedLoop(pool, cfg.writers, Math.min(500, cfg.writeTx), variants.on!); // warm-up
  const { runs, ratio_per_round, ratio_median } = await inRounds(
    Object.keys(variants),
    cfg.shortRounds,
    async (name, round) => {
      await pool.query('TRUNCATE orders, otel_write');
      await pool.query('CHECKPOINT');
      const run = await runClosedLoop(pool, cfg.writers, cfg.writeTx, variants[name]!);
      progress(`otel write ${name} round ${round + 1}: ${run.tx_per_s} tx/s`);
      return run;
    },
    (r) => r.tx_per_s,
    { txbox: 'on', raw: 'off' },
  );
  await pool.query('DROP TABLE IF EXISTS otel_write');
  await db.close(pool);
  const off = best(runs.off!, (r) => r.tx_per_s);
  const on = best(runs.on!, (r) => r.tx_per_s);
  return { off, on, ratio: ratio(on.tx_per_s, off.tx_per_s), ratio_per_round, ratio_median };
}

import type pg from 'pg';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createOutbox } from '../../src/core/index.js';
import { createOtelInstrumentation } from '../../src/opentelemetry/index.js';
import type { BenchConfig } from '../lib/args.js';
import { progress } from '../lib/log.js';
import { bulkLoad, countRows, createBusinessTable, insertOrderSql, makeStore, type BenchDatabase } from '../lib/pg.js';
import { drainWithRelays, type DrainRun } from '../lib/relays.js';
import { inRounds, type RoundsResult } from '../lib/rounds.js';
import { best, median, ratio } from '../lib/stats.js';
import { inTransaction, runClosedLoop, type WriteRun } from '../lib/writers.js';
import { orderMessage } from './write.js';

const TABLE = 'otel_outbox';
/**
 * Every drained message carries its own trace context (a distinct send span, as when each comes
 * from its own request) and baggage, so the publish span links each one it can.
 */
const HEADERS_SQL = `json_build_object(
  'traceparent', '00-' || md5(id::text) || '-' || substr(md5(id::text || 'span'), 1, 16) || '-01',
  'baggage', 'tenant=acme')::text`;

/** Spans are made, batched and handed over, then dropped: the cost of tracing minus the network. */
const discard: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };

/** A run of one variant with the CPU time this process spent on it, per message or transaction. */
type Timed<R> = R & { cpu_us: number };

interface Compared<R> {
  off: Timed<R>;
  on: Timed<R>;
  /** Best on / best off over the rounds. */
  ratio: number | null;
  /** Per round, on / off of runs made back to back, and their median: the figure judged. */
  ratio_per_round: (number | null)[];
  ratio_median: number | null;
  /** Median over the rounds of this process's CPU time per message (or transaction), each variant. */
  cpu_us_median: { off: number; on: number };
}

export interface OtelResult {
  /** What both variants ran with: the application's SDK set up as NodeSDK would. */
  setup: string;
  drain: Compared<DrainRun> & { messages: number };
  write: Compared<WriteRun>;
}

/**
 * Instrumentation on (the real SDK, metrics read every second and spans batched, both exported
 * nowhere) versus off, in the same run: a drain of a backlog (batch 500) and writers sending one
 * message with each business row. Both variants run in a process where the SDK is set up as an
 * application has it (async context manager on, so `context.with` really switches contexts): what
 * is compared is txbox's instrumentation, not the SDK's own presence. Target: on / off >= 0.95.
 */
export async function runOtel(db: BenchDatabase, cfg: BenchConfig): Promise<OtelResult> {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  // The first context switch turns on Node's async-context tracking for the rest of the process:
  // done now, so that no variant runs before it and no variant pays for it alone.
  context.with(ROOT_CONTEXT, () => undefined);
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.DELTA), exportIntervalMillis: 1000 })] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
  const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  const otel = createOtelInstrumentation({ meterProvider, tracerProvider, propagator });
  try {
    return {
      setup: 'MeterProvider + PeriodicExportingMetricReader (1 s, in-memory exporter), BasicTracerProvider + BatchSpanProcessor (no-op exporter), W3C trace context + baggage, AsyncLocalStorageContextManager',
      drain: await drain(db, cfg, otel),
      write: await write(db, cfg, otel),
    };
  } finally {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    context.disable();
  }
}

type Otel = ReturnType<typeof createOtelInstrumentation>;

/** Runs `fn` and adds the CPU time this process spent meanwhile, in µs per unit of work. */
async function timed<R>(units: number, fn: () => Promise<R>): Promise<Timed<R>> {
  const before = process.cpuUsage();
  const run = await fn();
  const used = process.cpuUsage(before);
  return { ...run, cpu_us: Math.round(((used.user + used.system) / units) * 100) / 100 };
}

function compare<R>(rounds: RoundsResult<Timed<R>>, score: (r: R) => number): Compared<R> {
  const off = best(rounds.runs.off!, score);
  const on = best(rounds.runs.on!, score);
  const cpu = (name: string) => median(rounds.runs[name]!.map((r) => r.cpu_us));
  return { off, on, ratio: ratio(score(on), score(off)), ratio_per_round: rounds.ratio_per_round, ratio_median: rounds.ratio_median, cpu_us_median: { off: cpu('off'), on: cpu('on') } };
}

async function drain(db: BenchDatabase, cfg: BenchConfig, otel: Otel): Promise<OtelResult['drain']> {
  // Longer than the drain workload's backlog: a run of a second or more, so a burst of load from
  // elsewhere weighs less on one round.
  const n = cfg.messages * 3;
  const admin = db.pool(2);
  await makeStore(admin, TABLE);
  const spec = { relays: 1, batchSize: 500 };
  const producer = otel.wrapProducer(() => {}, { system: 'bench' });
  const variants: Record<string, () => Promise<DrainRun>> = {
    off: () => drainWithRelays(db, TABLE, n, spec),
    on: () => drainWithRelays(db, TABLE, n, spec, producer, undefined, otel.onEvent),
  };
  const rounds = await inRounds(
    Object.keys(variants),
    cfg.shortRounds,
    async (name, round) => {
      await bulkLoad(admin, TABLE, n);
      await admin.query(`UPDATE ${TABLE} SET headers = ${HEADERS_SQL}`);
      await admin.query(`VACUUM ANALYZE ${TABLE}`);
      const run = await timed(n, variants[name]!);
      const left = await countRows(admin, TABLE);
      if (left !== 0) throw new Error(`otel drain ${name} left ${left} rows behind`);
      progress(`otel drain ${name} round ${round + 1}: ${run.msgs_per_s} msgs/s, ${run.cpu_us} µs CPU/msg`);
      return run;
    },
    (r) => r.msgs_per_s,
    { txbox: 'on', raw: 'off' },
  );
  await db.close(admin);
  return { messages: n, ...compare(rounds, (r) => r.msgs_per_s) };
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
  const rounds = await inRounds(
    Object.keys(variants),
    cfg.shortRounds,
    async (name, round) => {
      await pool.query('TRUNCATE orders, otel_write');
      await pool.query('CHECKPOINT');
      const run = await timed(cfg.writeTx, () => runClosedLoop(pool, cfg.writers, cfg.writeTx, variants[name]!));
      progress(`otel write ${name} round ${round + 1}: ${run.tx_per_s} tx/s, ${run.cpu_us} µs CPU/tx`);
      return run;
    },
    (r) => r.tx_per_s,
    { txbox: 'on', raw: 'off' },
  );
  await pool.query('DROP TABLE IF EXISTS otel_write');
  await db.close(pool);
  return compare(rounds, (r) => r.tx_per_s);
}

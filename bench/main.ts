import os from 'node:os';
import { HELP, parseConfig, UsageError, type BenchConfig, type Workload } from './lib/args.js';
import { elapsedSeconds, progress } from './lib/log.js';
import { createBenchDatabase, type BenchDatabase } from './lib/pg.js';
import { buildReport, renderTable } from './lib/report.js';
import { runAdapters } from './workloads/adapters.js';
import { runBroker } from './workloads/broker.js';
import { runClaimCost } from './workloads/claim.js';
import { runDrain } from './workloads/drain.js';
import { runFailures } from './workloads/failures.js';
import { runLatency } from './workloads/latency.js';
import { runMariadb } from './workloads/mariadb.js';
import { runOtel } from './workloads/otel.js';
import { runPeers } from './workloads/peers.js';
import { runScale } from './workloads/scale.js';
import { runSqlite } from './workloads/sqlite.js';
import { runWakeCost } from './workloads/wake.js';
import { runWrite } from './workloads/write.js';

type Runner = (db: BenchDatabase, cfg: BenchConfig) => Promise<unknown>;

/** The workloads in the order they run; the scale curve, which loads a million rows, comes last. */
const RUNNERS: [Workload, Runner][] = [
  ['write', runWrite],
  ['adapters', runAdapters],
  ['wake', runWakeCost],
  ['drain', runDrain],
  ['failures', runFailures],
  ['claim', runClaimCost],
  ['latency', runLatency],
  ['peers', runPeers],
  ['broker', runBroker],
  ['sqlite', (_db, cfg) => runSqlite(cfg)],
  ['mariadb', (_db, cfg) => runMariadb(cfg, cfg.writers)],
  ['otel', runOtel],
  ['scale', runScale],
];

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv.slice(2));
  if (!cfg) return;
  // Other work on the machine moves every figure: the load average says how busy it was.
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const db = await createBenchDatabase();
  const results: Record<string, unknown> = {};
  const onSignal = () => {
    void db.drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const [name, run] of RUNNERS) {
      if (!cfg.only.has(name)) continue;
      progress(`--- ${name}`);
      const t0 = performance.now();
      results[name] = await run(db, cfg);
      progress(`--- ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await db.drop();
  }
  const report = buildReport(cfg, results, {
    node: process.version,
    postgres: db.serverVersion,
    cpus: os.cpus().length,
    load_average_start: loadAtStart,
    load_average_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
    duration_s: Math.round(elapsedSeconds()),
  });
  if (cfg.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(renderTable(report));
}

main().catch((error) => {
  if (error instanceof UsageError) {
    // A mistyped command line: say what was wrong and how to call it, no stack trace.
    process.stderr.write(`${error.message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

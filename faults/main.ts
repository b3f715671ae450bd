/**
 * The fault-injection harness: `npm run faults -- --help`. Runs each scenario against servers of
 * its own, checks every guarantee of the design from what was committed and what arrived, prints
 * one table per scenario (or the JSON report with --json) and writes the JSON report to a file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { parseCli } from './cli.js';
import { elapsedMs, progress } from './log.js';
import { failuresOf, renderTables, type Report, type ScenarioRow } from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import { createServers } from './servers/registry.js';
import { errorText } from './util.js';

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (!cli) return 0;
  const startedAt = new Date();
  const servers = createServers();
  const stop = () => {
    progress('interrupted: stopping every process and server the harness started');
    void servers.dispose().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const rows: ScenarioRow[] = [];
  const errors: string[] = [];
  try {
    const chosen = SCENARIOS.filter((s) => s.tiers.includes(cli.tier) && (cli.only.length === 0 || cli.only.some((o) => s.name.includes(o))));
    for (const scenario of chosen) {
      progress(`=== ${scenario.name}`);
      const t0 = Date.now();
      try {
        rows.push(...(await scenario.run(servers.context(cli))));
      } catch (error) {
        errors.push(`${scenario.name}: ${errorText(error)}`);
        progress(`${scenario.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      progress(`=== ${scenario.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await servers.dispose();
  }

  const report: Report = {
    tier: cli.tier,
    started_at: startedAt.toISOString(),
    duration_ms: Math.round(elapsedMs()),
    machine: { node: process.version, cpus: os.cpus().length, platform: `${os.platform()} ${os.release()}` },
    scenarios: rows,
    failures: [...failuresOf(rows), ...errors.map((e) => `scenario failed: ${e}`)],
  };
  mkdirSync(dirname(cli.out), { recursive: true });
  writeFileSync(cli.out, `${JSON.stringify(report, null, 2)}\n`);
  progress(`report written to ${cli.out}`);
  if (cli.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(renderTables(report));
  return report.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`faults: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);

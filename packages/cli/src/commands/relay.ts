import { once } from 'node:events';
import { Command } from 'commander';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createOtelInstrumentation } from 'txbox/opentelemetry';
import { CliError, EXIT } from '../exit.js';
import { DashboardHost } from '../daemon/dashboard-host.js';
import { createProbeServer } from '../daemon/http.js';
import { loadConfig } from '../daemon/load-config.js';
import { stderrLog as log } from '../daemon/log.js';
import { Supervisor } from '../daemon/supervisor.js';

export function relayCommand(): Command {
  return new Command('relay')
    .description('run the relay daemon: every outbox of the configuration, /healthz, /readyz, /metrics and the dashboard; SIGHUP reloads, SIGTERM/SIGINT drain and exit')
    .requiredOption('-c, --config <file>', 'txbox.config.json, or a .mjs module exporting the configuration')
    .action(async (flags: { config: string }) => {
      process.exitCode = await runDaemon(flags.config);
    });
}

/** Resolves to the exit code once the daemon has stopped. */
async function runDaemon(file: string): Promise<number> {
  const { config, dir } = await loadConfig(file);
  // The exporter is a MetricReader whose text the probe server serves: no server of its own.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const otel = createOtelInstrumentation({ meterProvider });
  const dashboard = new DashboardHost();
  const supervisor = new Supervisor({ otel, log, listen: dashboard.onEvent });
  let accepting = true;
  const server = createProbeServer({ accepting: () => accepting, health: () => supervisor.health() }, exporter, dashboard);
  server.listen(config.http.port, config.http.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    throw new CliError(`http.port: cannot listen on ${config.http.host}:${config.http.port}: ${(error as Error).message}`);
  }
  const address = server.address();
  const served = ['/healthz', '/readyz', '/metrics', ...(config.dashboard?.enabled ? [config.dashboard.path] : [])];
  log.info(`listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : config.http.port} (${served.join(' ')})`);
  try {
    await supervisor.apply(config, dir, true);
    await dashboard.update(config.dashboard, supervisor.views());
  } catch (error) {
    await supervisor.stopAll();
    await dashboard.close();
    server.close();
    await meterProvider.shutdown().catch(() => {});
    throw error;
  }
  log.info(`running ${supervisor.names.length} outbox(es): ${supervisor.names.join(', ') || 'none'}`);

  // Reloads run one at a time; a bad file keeps the running configuration.
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        const next = await loadConfig(file);
        await supervisor.apply(next.config, next.dir, false);
        await dashboard.update(next.config.dashboard, supervisor.views());
        log.info(`reloaded: running ${supervisor.names.join(', ') || 'none'}`);
      } catch (error) {
        log.error(`reload refused, the running configuration stays: ${(error as Error).message}`);
      }
    });
  };
  process.on('SIGHUP', reload);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  accepting = false;
  process.off('SIGHUP', reload);
  log.info(`${signal}: finishing the batches in flight (at most ${config.shutdownTimeoutMs} ms)`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs)));
  const outcome = await Promise.race([reloading.then(() => supervisor.stopAll()).then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  await dashboard.close();
  server.close();
  server.closeAllConnections();
  await meterProvider.shutdown().catch(() => {});
  if (outcome === 'timeout') {
    log.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting with batches unacknowledged (they will be claimed again after their claim timeout)`);
    return EXIT.failure;
  }
  log.info('stopped');
  return EXIT.ok;
}

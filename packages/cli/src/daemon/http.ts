import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { OutboxHealth } from './readiness.js';

export interface Probes {
  /** False once shutdown began: readiness turns off so no new traffic is routed here. */
  accepting(): boolean;
  health(): Record<string, OutboxHealth>;
}

/** What else the port serves: the dashboard, under its own path. */
export interface Mounted {
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * `/healthz` (the process answers), `/readyz` (each outbox's store and producer answered),
 * `/metrics` (Prometheus text), and the dashboard under its path when one is configured.
 */
export function createProbeServer(probes: Probes, exporter: PrometheusExporter, dashboard?: Mounted): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (dashboard?.owns(path)) return dashboard.serve(req, res);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'GET only' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const outboxes = probes.health();
      const ready = probes.accepting() && Object.values(outboxes).every((h) => h.ready);
      return json(ready ? 200 : 503, { ready, outboxes });
    }
    if (path === '/metrics') return exporter.getMetricsRequestHandler(req, res);
    json(404, { error: 'not found: /healthz, /readyz, /metrics' });
  });
}

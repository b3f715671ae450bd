import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDashboard, type Dashboard, type DashboardOutbox, type RelayEventLike } from '@txbox/dashboard';
import type { OutboxStore, Relay, RelayEvent } from 'txbox';
import { describeError } from '../exit.js';
import type { DashboardConfig } from './dashboard-schema.js';

interface OutboxView {
  readonly name: string;
  readonly store: OutboxStore;
  readonly relay: Relay;
}

/**
 * The dashboard the daemon serves, fed by its relays' events and reading its stores. The set of
 * outboxes changes with each reload, so the dashboard is made again for it (sessions survive: the
 * dashboard signs them with a key derived from its credentials; the charts start afresh).
 */
export class DashboardHost {
  private current: Dashboard | null = null;
  private config: DashboardConfig | undefined;

  /** Serves `config` (none, or disabled: nothing) over these outboxes. Option errors name `dashboard.<field>`. */
  async update(config: DashboardConfig | undefined, outboxes: readonly OutboxView[]): Promise<void> {
    const next = config?.enabled && outboxes.length > 0 ? make(config, outboxes) : null;
    const previous = this.current;
    this.current = next;
    this.config = config;
    next?.start();
    await previous?.close();
  }

  readonly onEvent = (event: RelayEvent): void => {
    this.current?.onEvent(event as RelayEventLike);
  };

  /** Whether `path` is the dashboard's (served, or answered 503 while no outbox runs). */
  owns(path: string): boolean {
    const base = this.config?.enabled ? this.config.path : undefined;
    return base !== undefined && (path === base || path.startsWith(`${base}/`));
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.current) return this.current.node(req, res);
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ error: 'no outbox is running: the dashboard has nothing to show' })}\n`);
  }

  async close(): Promise<void> {
    const previous = this.current;
    this.current = null;
    await previous?.close();
  }
}

function make(config: DashboardConfig, outboxes: readonly OutboxView[]): Dashboard {
  const list: DashboardOutbox[] = outboxes.map((o) => ({ name: o.name, store: o.store, relay: o.relay }));
  const auth = config.auth.token !== undefined ? { token: config.auth.token } : { basic: config.auth.basic! };
  try {
    return createDashboard({
      outboxes: list,
      auth,
      readOnly: config.readOnly,
      basePath: config.path,
      ...(config.sampleIntervalMs !== undefined ? { sampleIntervalMs: config.sampleIntervalMs } : {}),
    });
  } catch (error) {
    throw describeError(error, 'dashboard: ');
  }
}

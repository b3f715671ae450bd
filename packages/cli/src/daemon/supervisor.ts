import type { DaemonConfig } from './config-schema.js';
import { startOutbox, type Observers, type RunningOutbox } from './outbox-runner.js';
import type { OutboxHealth } from './readiness.js';

/**
 * The outboxes the daemon runs, by name. `apply` moves to a new configuration: outboxes that are
 * gone or changed are stopped (their in-flight batches acknowledged), new or changed ones start;
 * unchanged ones keep running untouched.
 */
export class Supervisor {
  private readonly running = new Map<string, RunningOutbox>();

  constructor(private readonly observers: Observers) {}

  /**
   * `strict` (at start): the first outbox that cannot start fails the whole call, after stopping
   * the ones started. On a reload an outbox that cannot start is logged and left out; the others run.
   */
  async apply(config: DaemonConfig, configDir: string, strict: boolean): Promise<void> {
    const wanted = new Map(config.outboxes.map((o, i) => [o.name, { o, i, fingerprint: JSON.stringify(o) }]));
    const leaving = [...this.running.values()].filter((r) => wanted.get(r.name)?.fingerprint !== r.fingerprint);
    await Promise.all(leaving.map(async (r) => {
      this.running.delete(r.name);
      await r.stop();
    }));
    for (const { o, i } of wanted.values()) {
      if (this.running.has(o.name)) continue;
      try {
        this.running.set(o.name, await startOutbox(o, i, configDir, this.observers));
      } catch (error) {
        if (strict) {
          await this.stopAll();
          throw error;
        }
        this.observers.log.error(`outbox ${o.name} not started: ${(error as Error).message}`);
      }
    }
  }

  health(): Record<string, OutboxHealth> {
    return Object.fromEntries([...this.running.values()].map((r) => [r.name, r.health()]));
  }

  /** The running outboxes' stores and relays, in the order they started. */
  views(): RunningOutbox['view'][] {
    return [...this.running.values()].map((r) => r.view);
  }

  get names(): string[] {
    return [...this.running.keys()];
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.stop()));
  }
}

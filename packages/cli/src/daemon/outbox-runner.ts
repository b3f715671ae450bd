import { hostname } from 'node:os';
import { createRelay, type OutboxStore, type Relay, type RelayEvent } from 'txbox';
import type { OtelInstrumentation, StoreObservation } from 'txbox/opentelemetry';
import { describeError } from '../exit.js';
import { openStore, type OpenedStore } from '../open-store.js';
import type { OutboxConfig } from './config-schema.js';
import type { Log } from './log.js';
import { Readiness, type OutboxHealth } from './readiness.js';
import { openTransport, type OpenedTransport } from './transports/index.js';

export interface RunningOutbox {
  readonly name: string;
  /** The configuration it was started with, to tell whether a reload changed it. */
  readonly fingerprint: string;
  health(): OutboxHealth;
  /** What the dashboard shows of it: its store and its relay. */
  readonly view: { readonly name: string; readonly store: OutboxStore; readonly relay: Relay };
  /** Lets the batches in flight finish and be acknowledged, then closes the store and transport. */
  stop(): Promise<void>;
}

/** Where a running outbox reports: metrics, the log, and whoever else listens to its relay's events (the dashboard). */
export interface Observers {
  readonly otel: OtelInstrumentation;
  readonly log: Log;
  readonly listen: (event: RelayEvent) => void;
}

/** Opens the store (checking it answers), the transport and the relay of one outbox, and starts it. */
export async function startOutbox(c: OutboxConfig, index: number, configDir: string, { otel, log, listen }: Observers): Promise<RunningOutbox> {
  const field = `outboxes[${index}]`;
  const { url, table, schema, options } = c.store;
  const storeOptions = { name: c.name, ...options, ...(table !== undefined ? { table } : {}), ...(schema !== undefined ? { schema } : {}) };
  let opened: OpenedStore | undefined;
  let transport: OpenedTransport | undefined;
  let observation: StoreObservation | undefined;
  try {
    opened = await openStore(url, { options: storeOptions, create: c.migrate, field: `${field}.store` });
    if (c.migrate) await opened.store.migrate().catch((e) => Promise.reject(describeError(e, `${field}.store: migrate: `)));
    transport = await openTransport(c.transport, configDir, `${field}.transport`);
    const readiness = new Readiness();
    const store = watchClaims(opened.store, readiness);
    const onEvent = (event: RelayEvent) => {
      otel.onEvent(event);
      readiness.onEvent(event);
      listen(event);
      if (event.type === 'claim.failed' || event.type === 'produce.failed' || event.type === 'settle.failed') log.warn(`outbox ${c.name}: ${event.type}: ${String((event.error as Error)?.message ?? event.error)}`);
    };
    let relay: Relay;
    try {
      relay = createRelay({ ...c.relay, store, producer: otel.wrapProducer(transport.producer, { system: transport.system }), onEvent, owner: `${hostname()}-${process.pid}-${c.name}` });
    } catch (error) {
      throw describeError(error, `${field}.relay: `);
    }
    if (typeof (opened.store as { stats?: unknown }).stats === 'function') observation = otel.observeStore(opened.store as never);
    relay.start();
    log.info(`outbox ${c.name}: relaying ${opened.location.display} to ${c.transport.type}`);
    const resources = { opened, transport, observation };
    return {
      name: c.name,
      fingerprint: JSON.stringify(c),
      health: () => combine(readiness.health, relay),
      view: { name: c.name, store: opened.store, relay },
      async stop() {
        await relay.stop();
        await close(resources);
        log.info(`outbox ${c.name}: stopped`);
      },
    };
  } catch (error) {
    await close({ opened, transport, observation });
    throw error;
  }
}

/** A store whose answered claims mark it reachable (an idle relay emits no event when a claim finds nothing). */
function watchClaims(store: OutboxStore, readiness: Readiness): OutboxStore {
  return {
    ...store,
    async claim(request) {
      const batch = await store.claim(request);
      readiness.claimAnswered();
      return batch;
    },
  };
}

/** Another part of txbox may give relays a `health()`: where it answers `ready`, it counts too. */
function combine(h: OutboxHealth, relay: Relay): OutboxHealth {
  const own = (relay as { health?: () => { ready?: unknown } }).health?.();
  return typeof own?.ready === 'boolean' ? { ...h, ready: h.ready && own.ready } : h;
}

async function close(r: { opened?: OpenedStore | undefined; transport?: OpenedTransport | undefined; observation?: StoreObservation | undefined }): Promise<void> {
  r.observation?.stop();
  await r.transport?.close().catch(() => {});
  await r.opened?.close().catch(() => {});
}

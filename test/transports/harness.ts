import { uuidv7, type OutboxMessage, type ProduceContext, type ProduceResult } from '../../src/core/index.js';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';
import type { OwnBroker } from './support/processes.js';

export interface ProducerUnderTest {
  produce(messages: readonly OutboxMessage[], context: ProduceContext): Promise<ProduceResult>;
}

/** What arrived at the broker, read with the broker's own client (not txbox's consumer helpers). */
export type Arrived = ReceivedMessage;

/** One isolated place to publish to: unique exchange/queue, stream, subject, topic or endpoint. */
export interface Destination {
  readonly producer: ProducerUnderTest;
  /** A topic that reaches the destination. */
  readonly topic: string;
  /** A topic the broker refuses (unroutable, no stream, wrong type, ACL, HTTP status). */
  readonly failingTopic: string;
  /** Everything that arrived so far (bounded wait until at least `count`). */
  received(count: number, timeoutMs?: number): Promise<Arrived[]>;
  close(): Promise<void>;
}

export interface OwnDestination extends Destination {
  readonly broker: OwnBroker;
}

export interface TransportFeatures {
  /** How the failure of `failingTopic` must be classified. */
  readonly failure: 'retryable' | 'permanent';
  /** How the restart test stops the broker: SIGKILL where an acknowledged message is on disk. */
  readonly restartSignal: 'SIGTERM' | 'SIGKILL';
}

export interface TransportHarness {
  readonly name: string;
  readonly features: TransportFeatures;
  open(options?: { publishTimeoutMs?: number }): Promise<Destination>;
  /** A producer whose peer accepted the connection and then never answers. */
  silent(options: { publishTimeoutMs: number }): Promise<{ producer: ProducerUnderTest; close(): Promise<void> }>;
  /** A destination on a broker of its own (spare port, temp data dir), for restart tests. */
  own(options?: { publishTimeoutMs?: number }): Promise<OwnDestination>;
  close(): Promise<void>;
}

/** An outbox message as the relay hands it over. */
export function message(topic: string, fields: Partial<Omit<OutboxMessage, 'topic'>> & { json?: unknown } = {}): OutboxMessage {
  const { json, ...rest } = fields;
  const now = new Date();
  return {
    id: uuidv7(),
    topic,
    key: null,
    payload: Buffer.from(JSON.stringify(json ?? { n: Math.random() })),
    contentType: 'application/json',
    headers: {},
    createdAt: now,
    availableAt: now,
    attempts: 0,
    dedupKey: null,
    ...rest,
  };
}

export const context = (signal: AbortSignal = new AbortController().signal): ProduceContext => ({ key: { kind: 'test', name: 'default' }, signal });

/** The first arrival of each id, in arrival order (duplicates are allowed: delivery is at least once). */
export function firstArrivals<T extends { id: string }>(arrived: readonly T[]): T[] {
  const seen = new Set<string>();
  return arrived.filter((a) => !seen.has(a.id) && seen.add(a.id));
}

/** Ids per key, in the order given. */
export function byKey<T extends { id: string; key: string | null }>(list: readonly T[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of list) {
    if (m.key === null) continue;
    const ids = out.get(m.key) ?? [];
    ids.push(m.id);
    out.set(m.key, ids);
  }
  return out;
}

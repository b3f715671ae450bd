import { appendFileSync } from 'node:fs';
import { parsePayload, PermanentFailure, type OutboxMessage, type ProduceContext, type ProduceFailure, type ProduceResult } from '../../src/core/index.js';
import type { Receipt, SinkConfig, WorkPayload } from './config.js';

export type Produce = (messages: readonly OutboxMessage[], context: ProduceContext) => Promise<ProduceResult>;

export interface Sink {
  produce: Produce;
  close(): Promise<void>;
}

/** Reads the harness payload; a message whose payload is not one is malformed (it never will be). */
export function readPayload(m: OutboxMessage): WorkPayload | undefined {
  try {
    const p = parsePayload<WorkPayload>(m);
    return p && typeof p === 'object' && typeof p.key === 'string' && typeof p.v === 'number' ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The destination refuses poison (retried until dead) and malformed payloads (dead at once), as a
 * broker's schema check or a webhook's 400 would; a key's later messages are then not attempted.
 * Everything else goes to `publish`, in batch order, unless `verdict` fails it (a scenario's
 * misbehaving destination).
 */
export function refusing(publish: Produce, verdict: (m: OutboxMessage) => Error | undefined = () => undefined): Produce {
  return async (messages, context) => {
    const failed: ProduceFailure[] = [];
    const blocked = new Set<string>();
    const pass: OutboxMessage[] = [];
    for (const m of messages) {
      if (m.key !== null && blocked.has(m.key)) continue;
      const p = readPayload(m);
      const error = !p ? new PermanentFailure(`message ${m.id} has no readable payload`) : p.poison ? new Error(`message ${m.id} is poison`) : verdict(m);
      if (error) {
        failed.push({ id: m.id, error });
        if (m.key !== null) blocked.add(m.key);
      } else pass.push(m);
    }
    if (pass.length === 0) return { ok: [], failed };
    const result = await publish(pass, context);
    return { ok: result.ok, failed: [...failed, ...(result.failed ?? [])] };
  };
}

/** Appends one line per published message, one write per batch, before the relay acknowledges. */
export function fileSink(path: string, by: string): Sink {
  return {
    async produce(messages) {
      const now = Date.now();
      let text = '';
      for (const m of messages) {
        const p = readPayload(m)!;
        const receipt: Receipt = { id: m.id, key: p.key, v: p.v, by, t: now };
        text += `${JSON.stringify(receipt)}\n`;
      }
      appendFileSync(path, text);
      return { ok: messages.map((m) => m.id) };
    },
    close: async () => {},
  };
}

/** Logs what `publish` confirmed, with the relay's time: a broker sink's own record of what left the relay. */
export function logged(publish: Produce, path: string, by: string): Produce {
  return async (messages, context) => {
    const result = await publish(messages, context);
    const ok = new Set(result ? result.ok : messages.map((m) => m.id));
    const now = Date.now();
    let text = '';
    for (const m of messages) {
      const p = ok.has(m.id) ? readPayload(m) : undefined;
      if (p) text += `${JSON.stringify({ id: m.id, key: p.key, v: p.v, by, t: now } satisfies Receipt)}\n`;
    }
    if (text) appendFileSync(path, text);
    return result;
  };
}

export async function openSink(cfg: SinkConfig, by: string): Promise<Sink> {
  if (cfg.kind === 'file') return fileSink(cfg.path, by);
  const { brokerSink } = await import('./broker-sinks.js');
  return brokerSink(cfg, by);
}

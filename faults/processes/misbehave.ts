import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PermanentFailure, type OutboxMessage, type ProduceResult } from '../../src/core/index.js';
import { sleep } from '../util.js';
import type { HeadFaults } from './config.js';
import { emit } from './protocol.js';
import { readPayload, type Produce } from './sinks.js';

/**
 * Destinations that misbehave on purpose, for the liveness scenarios. Everything here is keyed
 * by the message's key prefix and version, so every relay process of a run behaves alike.
 */

/**
 * Heads that fail: the first message (v 1) of a `backoff` key fails its first attempts; the first
 * message of a `dead` key is refused permanently until the scenario creates the marker file (it
 * then requeues the dead letter), and fails a few attempts more after that.
 */
export function headVerdict(spec: HeadFaults | undefined): (m: OutboxMessage) => Error | undefined {
  if (!spec) return () => undefined;
  let fixed = false;
  return (m) => {
    if (m.key === null || readPayload(m)?.v !== 1) return undefined;
    if (spec.backoff && m.key.startsWith(spec.backoff.prefix) && m.attempts < spec.backoff.times) return new Error(`head of ${m.key} fails (attempt ${m.attempts + 1})`);
    if (spec.dead && m.key.startsWith(spec.dead.prefix)) {
      fixed ||= existsSync(spec.dead.marker);
      if (!fixed) return new PermanentFailure(`head of ${m.key} refused for good`);
      if (m.attempts < spec.dead.times) return new Error(`requeued head of ${m.key} fails (attempt ${m.attempts + 1})`);
    }
    return undefined;
  };
}

export const HOSTILE_MODES = ['array', 'true', 'no-ok', 'throw-after-partial', 'late'] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];
export const hostileKey = (mode: HostileMode, n: number) => `hostile-${mode}-${n}`;

/**
 * A producer that answers badly once per message and process: a batch holding a `hostile-<mode>-`
 * key this process has not misanswered yet gets, for the whole batch, an answer of the wrong
 * shape (an array, `true`, `{ failed: [] }` without `ok`), a throw after publishing half of it,
 * or the right answer after the produce deadline (ignoring the abort signal).
 */
export function hostile(publish: Produce, o: { lateMs: number } | undefined): Produce {
  if (!o) return publish;
  const misanswered = new Set<string>();
  return async (messages, context) => {
    let mode: HostileMode | undefined;
    for (const m of messages) {
      mode = HOSTILE_MODES.find((h) => m.key?.startsWith(`hostile-${h}-`));
      if (mode && !misanswered.has(m.id)) {
        misanswered.add(m.id);
        break;
      }
      mode = undefined;
    }
    if (!mode) return publish(messages, context);
    const wrong = (answer: unknown) => answer as ProduceResult;
    switch (mode) {
      case 'array':
        return wrong([]);
      case 'true':
        return wrong(true);
      case 'no-ok':
        return wrong({ failed: [] });
      case 'throw-after-partial':
        await publish(messages.slice(0, Math.ceil(messages.length / 2)), context);
        throw new Error('hostile producer: failed after publishing half of the batch');
      case 'late': {
        const result = await publish(messages, context);
        await sleep(o.lateMs);
        return result;
      }
    }
  };
}

/**
 * A relay that publishes a batch holding the first message of a `zombie` key, then stops itself
 * (SIGSTOP) before the relay can acknowledge it: woken by the harness after its claim expired and
 * the message was rewritten, it acknowledges as a zombie. The marker file (created exclusively)
 * makes it one relay per key, whoever claims the message again.
 */
export function zombie(publish: Produce, o: { prefix: string; markers: string } | undefined): Produce {
  if (!o) return publish;
  return async (messages, context) => {
    const result = await publish(messages, context);
    const m = messages.find((x) => x.key?.startsWith(o.prefix) && readPayload(x)?.v === 1);
    if (m && first(join(o.markers, encodeURIComponent(m.key!)))) {
      emit({ ev: 'fp', point: 'zombie', action: 'pause', key: m.key, ids: messages.map((x) => x.id) });
      process.kill(process.pid, 'SIGSTOP');
    }
    return result;
  };
}

function first(marker: string): boolean {
  try {
    writeFileSync(marker, '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

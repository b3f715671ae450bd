import { TxboxError } from '../core/errors.js';
import { encodeMessages, type EncodedMessage, type MessageInput } from '../core/message.js';
import type { OutboxStore } from '../core/store.js';

/**
 * Debounce: the newest message of a dedup id replaces the pending one (payload, and a delay
 * that restarts), so one handling follows a burst, with the burst's last payload. If the pending
 * one is already running, the newest waits in a single follower slot, so no update is lost.
 * The replaced message gets a fresh id, so an earlier handling can never mask it in the inbox.
 */
export async function publishDebounced<Tx>(store: OutboxStore<Tx>, tx: Tx, input: MessageInput): Promise<void> {
  if (!store.replacePending) throw unsupported(store);
  const [main, follower] = slots(input);
  // The follower, when there is one, is the newest pending message: it takes the update first.
  if ((await store.replacePending(tx, follower)) || (await store.replacePending(tx, main))) return;
  if ((await store.write(tx, [main])).duplicates.length === 0) return;
  await store.write(tx, [follower]);
}

export function publishDebouncedSync<Tx>(store: OutboxStore<Tx>, tx: Tx, input: MessageInput): void {
  if (!store.replacePendingSync || !store.writeSync) throw unsupported(store);
  const [main, follower] = slots(input);
  if (store.replacePendingSync(tx, follower) || store.replacePendingSync(tx, main)) return;
  if (store.writeSync(tx, [main]).duplicates.length === 0) return;
  store.writeSync(tx, [follower]);
}

/** The message under its dedup key, then under the follower slot's. */
function slots(input: MessageInput): [EncodedMessage, EncodedMessage] {
  const [encoded] = encodeMessages(input);
  return [encoded!, { ...encoded!, dedupKey: `${encoded!.dedupKey}#next` }];
}

function unsupported(store: OutboxStore<unknown>) {
  return new TxboxError('NOT_SUPPORTED', `the ${store.key.kind} store cannot replace pending messages, so it cannot debounce`);
}

/** One message as the checker sees it: its key and its place in that key's order. */
export interface Sequenced {
  readonly key: string;
  readonly seq: number;
}

export interface DeliveryCheck {
  /** Committed messages never received. */
  readonly lost: number;
  /** Receipts beyond the first of a message (at-least-once allows them; count them anyway). */
  readonly duplicates: number;
  /** Received messages that were never committed. */
  readonly phantoms: number;
  /** First receipts that arrived before an earlier message of their key had been received. */
  readonly outOfOrder: number;
}

/**
 * Compares what was committed with what a consumer received, in the order received. Per key,
 * a message may be received only after every earlier message of its key was received at least
 * once; redeliveries of already-received messages are duplicates, not disorder.
 */
export function checkDelivery(committed: Iterable<Sequenced>, received: Iterable<Sequenced>): DeliveryCheck {
  const expected = new Map<string, Set<number>>();
  for (const m of committed) {
    let seqs = expected.get(m.key);
    if (!seqs) expected.set(m.key, (seqs = new Set()));
    seqs.add(m.seq);
  }
  const seen = new Map<string, Set<number>>();
  let duplicates = 0;
  let phantoms = 0;
  let outOfOrder = 0;
  for (const m of received) {
    if (!expected.get(m.key)?.has(m.seq)) {
      phantoms++;
      continue;
    }
    let got = seen.get(m.key);
    if (!got) seen.set(m.key, (got = new Set()));
    if (got.has(m.seq)) {
      duplicates++;
      continue;
    }
    for (const earlier of expected.get(m.key)!) {
      if (earlier < m.seq && !got.has(earlier)) {
        outOfOrder++;
        break;
      }
    }
    got.add(m.seq);
  }
  let lost = 0;
  for (const [key, seqs] of expected) lost += seqs.size - (seen.get(key)?.size ?? 0);
  return { lost, duplicates, phantoms, outOfOrder };
}

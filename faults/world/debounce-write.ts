import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishDebounced, publishDebouncedSync } from '../../src/consumers/debounce.js';
import { createOutbox, uuidv7, type MessageInput } from '../../src/core/index.js';
import { encodeMessages } from '../../src/core/message.js';
import { isMysql, tables, type WorkPayload } from '../processes/config.js';
import type { AnyStore } from '../processes/targets.js';
import type { World } from './world.js';

/**
 * How a harness write uses a dedup key: `debounce` (the last wins: the pending message is
 * rewritten, or a follower slot takes it), `rewrite` (the store's rewrite of the pending message
 * alone, nothing stored when no free pending message has the key: the scenario retries it until
 * a lease has expired) or `dedup` (the first wins: nothing is stored while one is pending).
 */
export type DedupWrite = 'debounce' | 'rewrite' | 'dedup';

export interface DedupMessage {
  /** The message's key and dedup key. */
  key: string;
  v: number;
  delayMs: number;
}

/**
 * Commits one business transaction holding `m` under its dedup key, as an application would
 * (business row and message together), and records the commit in a history of its own. Resolves
 * the message id when a message was stored (or a pending one rewritten), undefined when the
 * transaction stored nothing and was rolled back (a `dedup` duplicate, a `rewrite` that found no
 * free pending message): no business row then, so the checker expects nothing.
 */
export async function writeDedup(w: World, store: AnyStore, how: DedupWrite, m: DedupMessage): Promise<string | undefined> {
  const id = uuidv7();
  const input: MessageInput = { id, topic: 'work', key: m.key, dedupKey: m.key, payload: { id, key: m.key, v: m.v } satisfies WorkPayload, ...(m.delayMs > 0 ? { delayMs: m.delayMs } : {}) };
  const t = tables(w.prefix);
  const sentAt = Date.now();
  const biz = [id, m.key, m.v, m.delayMs, sentAt];
  let stored: boolean;
  if (w.kind === 'sqlite') {
    const insert = w.sqlite.prepare(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES (?, ?, ?, ?, ?, 0)`);
    const outbox = createOutbox({ store });
    stored = w.sqlite
      .transaction(() => {
        if (how === 'debounce') publishDebouncedSync(store, w.sqlite, input);
        else if (how === 'rewrite') {
          if (!store.replacePendingSync!(w.sqlite, encodeMessages(input)[0]!)) return false;
        } else if (outbox.sendSync(w.sqlite, input).duplicates.length > 0) return false;
        insert.run(...biz);
        return true;
      })
      .immediate();
  } else {
    const mysql = isMysql(w.kind);
    const conn = mysql ? await w.mysql.getConnection() : await w.pool.connect();
    const query = (sql: string, values?: unknown[]) => (conn as { query(s: string, v?: unknown[]): Promise<unknown> }).query(sql, values);
    try {
      await query(mysql ? 'START TRANSACTION' : 'BEGIN');
      stored = await dedupIn(conn, store, how, input);
      if (stored) {
        await query(mysql ? `INSERT INTO \`${t.biz}\` (id, \`key\`, version, delay_ms, sent_at_ms, poison) VALUES (?, ?, ?, ?, ?, 0)` : `INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES ($1, $2, $3, $4, $5, false)`, biz);
        await query('COMMIT');
      } else await query('ROLLBACK');
    } catch (error) {
      await query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      (conn as { release(): void }).release();
    }
  }
  if (!stored) return undefined;
  const history = join(w.o.dir, `${w.prefix}.dedup.history`);
  if (!w.hasHistory(history)) w.addHistory(history);
  appendFileSync(history, `${JSON.stringify({ ev: 'commit', id, key: m.key, v: m.v, t: Date.now() })}\n`);
  return id;
}

async function dedupIn(tx: unknown, store: AnyStore, how: DedupWrite, input: MessageInput): Promise<boolean> {
  if (how === 'debounce') {
    await publishDebounced(store, tx, input);
    return true;
  }
  if (how === 'rewrite') return store.replacePending!(tx, encodeMessages(input)[0]!);
  return (await createOutbox({ store }).send(tx, input)).duplicates.length === 0;
}

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOutbox, uuidv7, type MessageInput } from '../../src/core/index.js';
import { isMysql, tables, type WorkPayload } from '../processes/config.js';
import { openStore } from '../processes/targets.js';
import type { World } from './world.js';

export interface SeedMessage {
  key: string;
  /** The message's version within its key: 1, 2, 3... in the order given. */
  v: number;
  delayMs?: number;
}

/**
 * Commits `messages` in ONE business transaction, as a writer would (business rows and outbox
 * rows together, in the order given), and records the commit in a history of its own so the
 * checker knows when they became visible. Keys are the scenario's own (no aggregate rows).
 */
export async function seed(w: World, messages: readonly SeedMessage[]): Promise<string[]> {
  const t = tables(w.prefix);
  const rows = messages.map((m) => ({ ...m, id: uuidv7(), delayMs: m.delayMs ?? 0 }));
  const inputs: MessageInput[] = rows.map((r) => ({ id: r.id, topic: 'work', key: r.key, payload: { id: r.id, key: r.key, v: r.v } satisfies WorkPayload, ...(r.delayMs > 0 ? { delayMs: r.delayMs } : {}) }));
  const sentAt = Date.now();
  const biz = rows.map((r) => [r.id, r.key, r.v, r.delayMs, sentAt]);
  if (w.kind === 'sqlite') {
    const outbox = createOutbox({ store: await openStore(w.target(), w.sqlite) });
    const insert = w.sqlite.prepare(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES (?, ?, ?, ?, ?, 0)`);
    w.sqlite
      .transaction(() => {
        for (const b of biz) insert.run(...b);
        outbox.sendSync(w.sqlite, inputs);
      })
      .immediate();
  } else if (isMysql(w.kind)) {
    const outbox = createOutbox({ store: await openStore(w.target(), w.mysql) });
    const conn = await w.mysql.getConnection();
    try {
      await conn.query('START TRANSACTION');
      await conn.query(`INSERT INTO \`${t.biz}\` (id, \`key\`, version, delay_ms, sent_at_ms, poison) VALUES ?`, [biz.map((b) => [...b, 0])]);
      await outbox.send(conn, inputs);
      await conn.query('COMMIT');
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      conn.release();
    }
  } else {
    const outbox = createOutbox({ store: await openStore(w.target(), w.pool) });
    const client = await w.pool.connect();
    try {
      await client.query('BEGIN');
      const column = (i: number) => biz.map((b) => b[i]);
      await client.query(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) SELECT *, false FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bigint[])`, [0, 1, 2, 3, 4].map(column));
      await outbox.send(client, inputs);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
  const history = join(w.o.dir, `${w.prefix}.seed.history`);
  if (!w.hasHistory(history)) w.addHistory(history);
  const now = Date.now();
  appendFileSync(history, rows.map((r) => `${JSON.stringify({ ev: 'commit', id: r.id, key: r.key, v: r.v, t: now })}\n`).join(''));
  return rows.map((r) => r.id);
}

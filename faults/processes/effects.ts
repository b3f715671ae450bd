import { createInbox } from '../../src/core/index.js';
import { createPostgresInbox } from '../../src/stores/postgres/index.js';
import { createSqliteInbox } from '../../src/stores/sqlite/index.js';
import { tables, type ConsumerConfig, type Receipt } from './config.js';
import type { Failpoints } from './failpoints.js';
import { openPgPool, openSqlite } from './targets.js';

/**
 * The consumer's counted effect, through the inbox: one transaction per chunk of receipts, each
 * receipt handled once per message id; the effect adds 1 to the message's counter, so a count
 * above 1 is an effect that happened twice.
 */
export interface Effects {
  apply(receipts: readonly Receipt[]): Promise<void>;
  close(): Promise<void>;
}

export const CONSUMER = 'faults-effects';

export async function openEffects(cfg: ConsumerConfig, fp: Failpoints): Promise<Effects> {
  const t = tables(cfg.target.prefix);
  if (cfg.target.kind === 'postgres-lock' || cfg.target.kind === 'postgres-lease') {
    const pool = openPgPool(cfg.target, 2);
    const inbox = createInbox({ store: createPostgresInbox({ pool, table: t.inbox }) });
    const effect = `INSERT INTO "${t.eff}" (id, key, v, n) VALUES ($1, $2, $3, 1) ON CONFLICT (id) DO UPDATE SET n = "${t.eff}".n + 1`;
    return {
      async apply(receipts) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          for (const r of receipts) {
            await inbox.handleOnce(client, { consumer: CONSUMER, messageId: r.id }, async () => {
              await client.query(effect, [r.id, r.key, r.v]);
              fp.reach('inbox.after-effect', { ids: [r.id] });
            });
          }
          await client.query('COMMIT');
          client.release();
        } catch (error) {
          await client.query('ROLLBACK').then(() => client.release(), () => client.release(true));
          throw error;
        }
      },
      close: () => pool.end(),
    };
  }
  const db = openSqlite(cfg.effectsFile);
  const inbox = createInbox({ store: createSqliteInbox({ db, table: t.inbox }) });
  const effect = db.prepare(`INSERT INTO "${t.eff}" (id, key, v, n) VALUES (?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1`);
  return {
    async apply(receipts) {
      db.transaction(() => {
        for (const r of receipts) {
          inbox.handleOnceSync(db, { consumer: CONSUMER, messageId: r.id }, () => {
            effect.run(r.id, r.key, r.v);
            fp.reach('inbox.after-effect', { ids: [r.id] });
          });
        }
      }).immediate();
    },
    close: async () => void db.close(),
  };
}

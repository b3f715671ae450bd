import { PGlite } from '@electric-sql/pglite';
import type { PgQueryable } from '../../src/stores/postgres/index.js';
import { createPgliteInbox, createPgliteStore } from '../../src/stores/pglite/index.js';
import { pgEffects } from './pg-effects.js';
import { inboxContract } from './contract.js';

const db = new PGlite();

inboxContract({
  name: 'pglite',
  async create() {
    const suffix = Math.random().toString(36).slice(2, 8);
    const inbox = createPgliteInbox({ db, table: `inbox_${suffix}` });
    const outbox = createPgliteStore({ db, table: `outbox_${suffix}` });
    await inbox.migrate();
    await outbox.migrate();
    const effects = await pgEffects(db, suffix);
    return { inbox, outbox, run: <T>(fn: (tx: PgQueryable) => Promise<T>) => db.transaction(fn), ...effects };
  },
  close: () => db.close(),
});

import type { PgQueryable } from '../../src/stores/postgres/index.js';

/** The counted effect and the ageing of inbox rows, in PostgreSQL's SQL (also PGlite's). */
export async function pgEffects(db: PgQueryable, suffix: string) {
  await db.query(`CREATE TABLE "counters_${suffix}" (name text PRIMARY KEY, n int NOT NULL)`);
  return {
    bump: async (tx: PgQueryable, name: string) => {
      await tx.query(`INSERT INTO "counters_${suffix}" (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = "counters_${suffix}".n + 1`, [name]);
    },
    counter: async (name: string) => Number((await db.query(`SELECT n FROM "counters_${suffix}" WHERE name = $1`, [name])).rows[0]?.n ?? 0),
    age: async (ms: number) => {
      await db.query(`UPDATE "inbox_${suffix}" SET received_at = received_at - ($1::double precision * interval '1 millisecond')`, [ms]);
    },
  };
}

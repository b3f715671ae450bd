/**
 * send() through each ORM adapter against the same ORM's hand-written outbox INSERT, in the same
 * run, on tables made by the same DDL: one business row + one message per transaction, from
 * `writers` concurrent transactions. Variants alternate round by round. Prints one JSON object.
 *
 *   npx tsx bench/workloads/adapters.ts [transactions per variant and round]
 *
 * Not wired into bench/main.ts (yet): run it on its own.
 */
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, PostgresDialect } from 'kysely';
import postgres from 'postgres';
import { fromDrizzle } from '../../src/adapters/drizzle/index.js';
import { fromKnex } from '../../src/adapters/knex/index.js';
import { fromKysely } from '../../src/adapters/kysely/index.js';
import { createOutbox, uuidv7, type MessageInput } from '../../src/core/index.js';
import { createPostgresJsStore } from '../../src/stores/postgresjs/index.js';
import { createBenchDatabase, createBusinessTable, makeStore } from '../lib/pg.js';
import { progress } from '../lib/log.js';
import { runClosedLoopNoClient } from '../lib/writers.js';

const TX = Number(process.argv[2] ?? 1000);
const WRITERS = 4;
const ROUNDS = 3;

const message = (i: number): MessageInput & { key: string } => ({ topic: 'order.created', key: `customer-${i % 1000}`, payload: { order: i, amount: 42.5 } });
/** The hand-written row: what the store's INSERT writes for this message (five columns). */
const handRow = (i: number) => {
  const m = message(i);
  return { id: uuidv7(), topic: m.topic, key: m.key, payload: Buffer.from(JSON.stringify(m.payload)), content_type: 'application/json' };
};
const order = (i: number) => ({ customer: `customer-${i % 1000}`, amount: 42.5 });

type Stack = Record<'hand' | 'txbox', (i: number) => Promise<void>> & { close(): Promise<void> };

const db = await createBenchDatabase();
const pool = db.pool(WRITERS + 2);
await createBusinessTable(pool);
const store = await makeStore(pool, 'adapters_txbox');
await makeStore(pool, 'adapters_hand'); // same DDL, written by hand
const outbox = createOutbox({ store });

const stacks: Record<string, () => Promise<Stack>> = {
  async kysely() {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const k = new Kysely<any>({ dialect: new PostgresDialect({ pool: db.pool(WRITERS) }) });
    return {
      hand: (i) => k.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values(order(i)).execute();
        await trx.insertInto('adapters_hand').values(handRow(i)).execute();
      }),
      txbox: (i) => k.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values(order(i)).execute();
        await outbox.send(fromKysely(trx), message(i));
      }),
      close: () => k.destroy(),
    };
  },
  async knex() {
    const k = knex({ client: 'pg', connection: db.url, pool: { min: 0, max: WRITERS } });
    return {
      hand: (i) => k.transaction(async (trx) => {
        await trx('orders').insert(order(i));
        await trx('adapters_hand').insert(handRow(i));
      }),
      txbox: (i) => k.transaction(async (trx) => {
        await trx('orders').insert(order(i));
        await outbox.send(fromKnex(trx), message(i));
      }),
      close: () => k.destroy(),
    };
  },
  async drizzle() {
    const own = db.pool(WRITERS);
    const d = drizzle(own);
    const insertOrder = (tx: Parameters<Parameters<typeof d.transaction>[0]>[0], i: number) => tx.execute(drizzleSql`INSERT INTO orders (customer, amount) VALUES (${order(i).customer}, ${order(i).amount})`);
    return {
      hand: (i) => d.transaction(async (tx) => {
        await insertOrder(tx, i);
        const r = handRow(i);
        await tx.execute(drizzleSql`INSERT INTO adapters_hand (id, topic, key, payload, content_type) VALUES (${r.id}, ${r.topic}, ${r.key}, ${r.payload}, ${r.content_type})`);
      }),
      txbox: (i) => d.transaction(async (tx) => {
        await insertOrder(tx, i);
        await outbox.send(fromDrizzle(tx), message(i));
      }),
      close: () => db.close(own),
    };
  },
  async postgresjs() {
    const sql = postgres(db.url, { max: WRITERS, onnotice: () => {} });
    const jsStore = createPostgresJsStore({ sql, table: 'adapters_txbox' });
    const jsOutbox = createOutbox({ store: jsStore });
    return {
      hand: async (i) => void (await sql.begin(async (tx) => {
        await tx`INSERT INTO orders ${tx(order(i))}`;
        await tx`INSERT INTO adapters_hand ${tx(handRow(i))}`;
      })),
      txbox: async (i) => void (await sql.begin(async (tx) => {
        await tx`INSERT INTO orders ${tx(order(i))}`;
        await jsOutbox.send(tx, message(i));
      })),
      close: () => sql.end(),
    };
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, unknown> = {};
try {
  for (const [name, make] of Object.entries(stacks)) {
    const stack = await make();
    await runClosedLoopNoClient(WRITERS, Math.min(300, TX), stack.txbox); // warm-up
    const rates: Record<'hand' | 'txbox', number[]> = { hand: [], txbox: [] };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? (['hand', 'txbox'] as const) : (['txbox', 'hand'] as const)) {
        rates[variant].push((await runClosedLoopNoClient(WRITERS, TX, stack[variant])).tx_per_s);
      }
      ratios.push(Math.round((rates.txbox[round]! / rates.hand[round]!) * 100) / 100);
    }
    await stack.close();
    results[name] = { hand_tx_per_s: rates.hand, txbox_tx_per_s: rates.txbox, ratio_per_round: ratios, ratio_median: median(ratios) };
    progress(`${name}: send()/hand-written = ${median(ratios)}`);
  }
  console.log(JSON.stringify({ workload: 'adapters', server: db.serverVersion, writers: WRITERS, tx_per_variant_round: TX, rounds: ROUNDS, stacks: results }, null, 2));
} finally {
  await db.drop();
}

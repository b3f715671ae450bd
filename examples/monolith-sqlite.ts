/**
 * A modular monolith on one SQLite file, with no broker: orders → billing → email.
 * Each module reacts to the previous one's messages; every step commits its own rows and the
 * messages it publishes together, and runs exactly once.
 *
 *   npx tsx examples/monolith-sqlite.ts [orders]
 */
import Database from 'better-sqlite3';
import { createConsumers, defineConsumer } from 'txbox/consumers';
import { createSqliteInbox, createSqliteSchedules, createSqliteStore } from 'txbox/sqlite';

const db = new Database(':memory:');
db.exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, customer TEXT, total INTEGER);
         CREATE TABLE invoices (order_id TEXT PRIMARY KEY, amount INTEGER);
         CREATE TABLE emails (order_id TEXT PRIMARY KEY, body TEXT);`);
const store = createSqliteStore({ db });
const inbox = createSqliteInbox({ db });
const schedules = createSqliteSchedules({ db });
for (const part of [store, inbox, schedules]) await part.migrate();

type Tx = Database.Database;

// Billing: invoices an order, then announces the invoice. better-sqlite3 handlers are synchronous.
const billing = defineConsumer<Tx, { id: string; total: number }>({
  name: 'billing',
  topics: ['order.placed'],
  maxAttempts: 5,
  handle: ({ tx, payload, publish }) => {
    tx.prepare('INSERT INTO invoices (order_id, amount) VALUES (?, ?)').run(payload.id, payload.total);
    void publish({ topic: 'invoice.created', key: payload.id, payload: { orderId: payload.id, amount: payload.total } });
  },
});

// Email: "sends" the invoice by recording it; the inbox makes a redelivery a no-op.
const email = defineConsumer<Tx, { orderId: string; amount: number }>({
  name: 'email',
  topics: ['invoice.created'],
  handle: ({ tx, payload }) => {
    tx.prepare('INSERT INTO emails (order_id, body) VALUES (?, ?)').run(payload.orderId, `Your invoice: ${payload.amount}`);
  },
});

const consumers = createConsumers({ store, inbox, schedules, consumers: [billing, email], pollIntervalMs: 50 });
consumers.start();

// Orders: the order row and its message commit together.
const count = Number(process.argv[2] ?? 20);
for (let i = 0; i < count; i++) {
  store.transaction((tx) => {
    tx.prepare('INSERT INTO orders (id, customer, total) VALUES (?, ?, ?)').run(`o${i}`, `c${i % 3}`, 100 + i);
    consumers.publishSync(tx, { topic: 'order.placed', key: `c${i % 3}`, payload: { id: `o${i}`, total: 100 + i } });
  });
}

const emails = () => (db.prepare('SELECT count(*) AS n FROM emails').get() as { n: number }).n;
const deadline = Date.now() + 20_000;
while (emails() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
await consumers.stop();
const invoices = (db.prepare('SELECT count(*) AS n FROM invoices').get() as { n: number }).n;
console.log(JSON.stringify({ orders: count, invoices, emails: emails() }));
db.close();

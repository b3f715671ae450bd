/**
 * The txbox demo: an order service saves N orders, each with its "order placed" message in the
 * same transaction; a relay delivers the messages to an in-process consumer; the summary shows
 * what was written, delivered, lost, duplicated and out of order per customer, and how fast.
 *
 *   npm run demo                          embedded SQLite, no server needed
 *   npm run demo -- --db postgres://postgres@127.0.0.1/test --messages 20000 --json
 */
import { SingleBar } from 'cli-progress';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRelay, parsePayload, uuidv7 } from '../src/core/index.js';
import { checkDelivery, type Sequenced } from '../src/testing/index.js';
import { openDemoDatabase, type Order } from './open-store.js';
import { latencySummary, printSummary, type DemoSummary } from './report.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    messages: { type: 'string', default: '10000' },
    writers: { type: 'string', default: '8' },
    customers: { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '120000' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`txbox demo\n\n  --db <sqlite path | postgres://url | mysql://url>   default: a temporary SQLite file\n  --messages N   orders to write (default 10000)\n  --writers N    concurrent writers (default 8)\n  --customers N  ordering keys (default 50)\n  --json         print the summary as one JSON object\n`);
  process.exit(0);
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const total = positiveInt('messages', args.messages);
const writers = positiveInt('writers', args.writers);
const customers = positiveInt('customers', args.customers);
const timeoutMs = positiveInt('timeout-ms', args['timeout-ms']);
const tempFile = args.db === undefined ? join(tmpdir(), `txbox-demo-${process.pid}.db`) : undefined;
const db = await openDemoDatabase(args.db ?? tempFile!);

const committedAt = new Map<string, number>();
const latencies: number[] = [];
const received: Sequenced[] = [];
const seen = new Set<string>();
let lastDelivery = 0;

// The consumer: what a broker producer would publish, this one just records.
const relay = createRelay({
  store: db.store,
  batchSize: 200,
  producer: (batch) => {
    const now = performance.now();
    for (const m of batch) {
      const { customer, seq } = parsePayload<{ customer: string; seq: number }>(m);
      received.push({ key: customer, seq });
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      latencies.push(Math.max(0, now - (committedAt.get(m.id) ?? now)));
    }
    lastDelivery = now;
  },
});

const progress = new SingleBar({ format: 'delivering |{bar}| {value}/{total} messages  {duration_formatted}', stream: process.stderr, hideCursor: true });
process.stderr.write(`txbox demo on ${db.label}: ${total} orders, ${writers} writers, ${customers} customers\n`);
progress.start(total, 0);
const ticker = setInterval(() => progress.update(seen.size), 100);

relay.start();
const started = performance.now();
const orders: Order[] = Array.from({ length: total }, (_, i) => ({ id: uuidv7(), customer: `customer-${i % customers}`, seq: Math.floor(i / customers), amountCents: 100 + (i % 900) }));
const committed: Sequenced[] = [];

// Each customer belongs to one writer, so a customer's orders commit in sequence order.
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    for (const order of orders) {
      if (Number(order.customer.slice(9)) % writers !== w) continue;
      const message = { id: order.id, topic: 'order.placed', key: order.customer, payload: { orderId: order.id, customer: order.customer, seq: order.seq, amountCents: order.amountCents } };
      await db.saveOrder(order, message);
      committedAt.set(order.id, performance.now());
      committed.push({ key: order.customer, seq: order.seq });
    }
  }),
);

const deadline = Date.now() + timeoutMs;
while (seen.size < committed.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
await relay.stop();
clearInterval(ticker);
progress.update(seen.size);
progress.stop();
await db.close();
if (tempFile) for (const suffix of ['', '-wal', '-shm']) rmSync(tempFile + suffix, { force: true });

const check = checkDelivery(committed, received);
const elapsedMs = (lastDelivery || performance.now()) - started;
const summary: DemoSummary = {
  database: db.label,
  written: committed.length,
  delivered: seen.size,
  ...check,
  messagesPerSecond: Math.round((seen.size / elapsedMs) * 1000),
  elapsedMs: Math.round(elapsedMs),
  latencyMs: latencySummary(latencies),
};
if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else printSummary(summary, process.stdout);
process.exit(check.lost === 0 && check.outOfOrder === 0 && check.phantoms === 0 ? 0 : 1);

/**
 * A writer process: business transactions in the shape txbox is for. Each one locks an aggregate
 * row, bumps its version, inserts a business row and sends a message carrying (key, version), in
 * ONE transaction. Some roll back, some sleep before committing (so a lower position commits after
 * higher ones), some are delayed or poisoned. Every attempt and outcome goes to an append-only
 * history file; the business table is the truth of what committed.
 */
import { appendFileSync } from 'node:fs';
import { createOutbox, uuidv7, type MessageInput } from '../../src/core/index.js';
import { seeded, sleep } from '../util.js';
import { isMysql, parseConfig, tables, type WorkPayload, type WriterConfig } from './config.js';
import { emit } from './protocol.js';
import { openMysqlPool, openPgPool, openSqlite, openStore } from './targets.js';

const cfg = parseConfig<WriterConfig>();
const t = tables(cfg.target.prefix);
const random = seeded(cfg.seed);
const deadline = Date.now() + cfg.durationMs;
let attempted = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

const more = () => !stopping && attempted < cfg.transactions && Date.now() < deadline;
const history = (ev: string, m: { id: string; key: string; v: number }) => appendFileSync(cfg.history, `${JSON.stringify({ ev, ...m, t: Date.now() })}\n`);

interface Plan {
  id: string;
  key: string;
  rollback: boolean;
  commitDelayMs: number;
  delayMs: number;
  poison: boolean;
}

const pace = () => (cfg.paceMs > 0 ? sleep(cfg.paceMs * (0.5 + random())) : Promise.resolve());

function plan(): Plan {
  attempted++;
  return {
    id: uuidv7(),
    key: `k${Math.floor(random() * cfg.keys)}`,
    rollback: random() < cfg.rollbackRate,
    commitDelayMs: random() < cfg.commitDelayRate ? Math.floor(random() * cfg.commitDelayMaxMs) : 0,
    delayMs: random() < cfg.delayedRate ? cfg.delayMs : 0,
    poison: random() < cfg.poisonRate,
  };
}

const message = (p: Plan, v: number): MessageInput => {
  const payload: WorkPayload = { id: p.id, key: p.key, v, ...(p.poison ? { poison: true } : {}) };
  return { id: p.id, topic: 'work', key: p.key, payload, ...(p.delayMs > 0 ? { delayMs: p.delayMs } : {}) };
};

class Rollback extends Error {}

async function runPostgres(): Promise<void> {
  const pool = openPgPool(cfg.target, cfg.connections);
  const outbox = createOutbox({ store: await openStore(cfg.target, pool) });
  const loop = async () => {
    while (more()) {
      const p = plan();
      let v = 0;
      let client;
      try {
        client = await pool.connect();
      } catch {
        await sleep(100); // the server is down: try again
        continue;
      }
      let committing = false;
      try {
        await client.query('BEGIN');
        const { rows } = await client.query(`SELECT version FROM "${t.agg}" WHERE key = $1 FOR UPDATE`, [p.key]);
        v = Number(rows[0].version) + 1;
        await client.query(`UPDATE "${t.agg}" SET version = $2 WHERE key = $1`, [p.key, v]);
        const sentAt = Date.now();
        await client.query(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES ($1, $2, $3, $4, $5, $6)`, [p.id, p.key, v, p.delayMs, sentAt, p.poison]);
        history('attempt', { id: p.id, key: p.key, v });
        await outbox.send(client, message(p, v));
        if (p.commitDelayMs > 0) await sleep(p.commitDelayMs);
        if (p.rollback) throw new Rollback();
        committing = true;
        await client.query('COMMIT');
        history('commit', { id: p.id, key: p.key, v });
        client.release();
      } catch (error) {
        // A failed COMMIT may or may not have committed: the business table will tell.
        if (committing) history('unknown', { id: p.id, key: p.key, v });
        else if (v > 0) history(error instanceof Rollback ? 'rollback' : 'failed', { id: p.id, key: p.key, v });
        await client.query('ROLLBACK').then(() => client.release(), () => client.release(true));
        if (!(error instanceof Rollback)) await sleep(50);
      }
      await pace();
    }
  };
  await Promise.all(Array.from({ length: cfg.connections }, loop));
  await pool.end();
}

async function runMysql(): Promise<void> {
  const pool = openMysqlPool(cfg.target, cfg.connections);
  const outbox = createOutbox({ store: await openStore(cfg.target, pool) });
  const loop = async () => {
    while (more()) {
      const p = plan();
      let v = 0;
      let conn;
      try {
        conn = await pool.getConnection();
      } catch {
        await sleep(100);
        continue;
      }
      let committing = false;
      try {
        await conn.query('START TRANSACTION');
        const [rows] = await conn.query(`SELECT version FROM \`${t.agg}\` WHERE \`key\` = ? FOR UPDATE`, [p.key]);
        v = Number((rows as { version: number }[])[0]!.version) + 1;
        await conn.query(`UPDATE \`${t.agg}\` SET version = ? WHERE \`key\` = ?`, [v, p.key]);
        const sentAt = Date.now();
        await conn.query(`INSERT INTO \`${t.biz}\` (id, \`key\`, version, delay_ms, sent_at_ms, poison) VALUES (?, ?, ?, ?, ?, ?)`, [p.id, p.key, v, p.delayMs, sentAt, p.poison ? 1 : 0]);
        history('attempt', { id: p.id, key: p.key, v });
        await outbox.send(conn, message(p, v));
        if (p.commitDelayMs > 0) await sleep(p.commitDelayMs);
        if (p.rollback) throw new Rollback();
        committing = true;
        await conn.query('COMMIT');
        history('commit', { id: p.id, key: p.key, v });
        conn.release();
      } catch (error) {
        if (committing) history('unknown', { id: p.id, key: p.key, v });
        else if (v > 0) history(error instanceof Rollback ? 'rollback' : 'failed', { id: p.id, key: p.key, v });
        const c = conn;
        await c.query('ROLLBACK').then(() => c.release(), () => c.destroy());
        if (!(error instanceof Rollback)) await sleep(50);
      }
      await pace();
    }
  };
  await Promise.all(Array.from({ length: cfg.connections }, loop));
  await pool.end();
}

/** SQLite has one writer at a time: transactions are synchronous, so commit delays do not apply. */
async function runSqlite(): Promise<void> {
  const db = openSqlite(cfg.target.file!);
  const outbox = createOutbox({ store: await openStore(cfg.target, db) });
  const getVersion = db.prepare(`SELECT version FROM "${t.agg}" WHERE key = ?`);
  const setVersion = db.prepare(`UPDATE "${t.agg}" SET version = ? WHERE key = ?`);
  const insertBiz = db.prepare(`INSERT INTO "${t.biz}" (id, key, version, delay_ms, sent_at_ms, poison) VALUES (?, ?, ?, ?, ?, ?)`);
  while (more()) {
    const p = plan();
    let v = 0;
    try {
      db.transaction(() => {
        v = Number((getVersion.get(p.key) as { version: number }).version) + 1;
        setVersion.run(v, p.key);
        insertBiz.run(p.id, p.key, v, p.delayMs, Date.now(), p.poison ? 1 : 0);
        history('attempt', { id: p.id, key: p.key, v });
        outbox.sendSync(db, message(p, v));
        if (p.rollback) throw new Rollback();
      }).immediate();
      history('commit', { id: p.id, key: p.key, v });
    } catch (error) {
      if (v > 0) history(error instanceof Rollback ? 'rollback' : 'failed', { id: p.id, key: p.key, v });
      if (!(error instanceof Rollback)) await sleep(50);
    }
    // Let other processes take the write lock between transactions.
    await (cfg.paceMs > 0 ? pace() : new Promise((r) => setImmediate(r)));
  }
  db.close();
}

emit({ ev: 'ready' });
const kind = cfg.target.kind;
await (kind === 'sqlite' ? runSqlite() : isMysql(kind) ? runMysql() : runPostgres());
emit({ ev: 'done', attempted });
process.exit(0);

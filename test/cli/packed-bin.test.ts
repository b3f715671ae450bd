/**
 * The CLI as a user runs it: txbox, @txbox/dashboard and @txbox/cli packed, installed in a scratch
 * project outside the repository (offline) with the drivers, and `npx txbox` run from there
 * against real PostgreSQL, MariaDB and SQLite; the installed daemon delivers to a real RabbitMQ
 * and serves the dashboard's files from the installed package.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createOutbox, OUTBOX_SCHEMA_VERSION } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { eventually, MYSQL_URL, PG_URL, uniqueName } from '../support/env.js';
import { dependencyFolders, installOffline, pack, repoModule, ROOT, run } from '../support/packed.js';
import { AMQP_URL } from '../transports/env.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-packed-cli-'));
const project = join(dir, 'app');
const CLI = join(ROOT, 'packages', 'cli');
const DASHBOARD = join(ROOT, 'packages', 'dashboard');
const DRIVERS = ['pg', 'mysql2', 'better-sqlite3', 'amqplib'];
const schema = uniqueName('packed');
const database = uniqueName('packed');
const queue = uniqueName('txbox_packed');
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const mysqlAdmin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
const mysqlUrl = Object.assign(new URL(MYSQL_URL), { pathname: `/${database}` }).toString();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx txbox <args>` in the scratch project. */
async function npxTxbox(args: readonly string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('npx', ['--offline', 'txbox', ...args], { cwd: project, timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : null, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

before(async () => {
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  // One at a time: @txbox/dashboard and @txbox/cli compile against txbox's dist/, which its pack builds.
  const tarballs = [await pack(ROOT, dir), await pack(DASHBOARD, dir), await pack(CLI, dir)];
  const packed = ['txbox', '@txbox/dashboard'];
  const dependencies = [...dependencyFolders(ROOT), ...dependencyFolders(DASHBOARD, packed), ...dependencyFolders(CLI, packed)];
  await installOffline(project, [...tarballs, ...new Set(dependencies), ...DRIVERS.map(repoModule)]);
  await mysqlAdmin.query(`CREATE DATABASE \`${database}\``);
});

after(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await mysqlAdmin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
  await mysqlAdmin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('the packed txbox CLI, installed in a project', { timeout: 900_000 }, () => {
  it('npx txbox --help runs the installed bin, built and shipped without its sources', async () => {
    const bin = realpathSync(join(project, 'node_modules', '.bin', 'txbox'));
    assert.ok(bin.startsWith(realpathSync(join(project, 'node_modules'))), `the bin is the installed one: ${bin}`);
    const cli = join(project, 'node_modules', '@txbox', 'cli');
    assert.ok(existsSync(join(cli, 'dist', 'main.js')) && !existsSync(join(cli, 'src')), 'dist shipped, src not');
    assert.ok(!existsSync(join(project, 'node_modules', '@txbox', 'cli', 'node_modules', 'txbox')), 'the CLI uses the project\'s txbox (a peer), not a copy of its own');
    const help = await npxTxbox(['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['migrate', 'status', 'schema', 'stats', 'dead-letters', 'relay']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });

  const places = {
    postgres: [PG_URL, '--schema', schema],
    mysql: [mysqlUrl],
    sqlite: [`sqlite://${join(dir, 'app.db')}`],
  };
  for (const [dialect, store] of Object.entries(places)) {
    it(`npx txbox migrate, status and schema against ${dialect}`, async () => {
      const tables = ['--inbox', '--schedules'];
      const migrated = await npxTxbox(['migrate', ...store, ...tables]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, new RegExp(`^migrated outbox .*txbox_outbox.* to schema version ${OUTBOX_SCHEMA_VERSION}$`, 'm'));
      const status = await npxTxbox(['status', ...store, ...tables, '--json']);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout) as { ok: boolean; tables: { kind: string; state: string }[] };
      assert.deepEqual(report.tables.map((t) => `${t.kind}:${t.state}`), ['outbox:current', 'inbox:current', 'schedules:current']);
      const ddl = await npxTxbox(['schema', '--dialect', dialect, ...tables]);
      assert.equal(ddl.code, 0, ddl.stderr);
      assert.match(ddl.stdout, /CREATE TABLE IF NOT EXISTS .*txbox_outbox/);
      assert.match(ddl.stdout, /CREATE TABLE IF NOT EXISTS .*txbox_inbox/);
    });
  }

  it('the installed daemon delivers a backlog to RabbitMQ, serves the dashboard\'s files, and stops on SIGTERM', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const connection = await amqp.connect(AMQP_URL);
    try {
      const store = createPostgresStore({ pool, schema });
      const outbox = createOutbox({ store });
      const sent = await store.transaction((tx) => outbox.send(tx, Array.from({ length: 20 }, (_, i) => ({ topic: queue, key: `k${i % 4}`, payload: { i } }))));
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, { durable: false, autoDelete: true });
      const received: string[] = [];
      await channel.consume(queue, (m) => m && received.push(String(m.properties.messageId)), { noAck: true });
      const token = `t-${uniqueName('dashboard')}`;
      writeFileSync(join(project, 'txbox.config.json'), JSON.stringify({
        http: { port: 0, host: '127.0.0.1' },
        dashboard: { auth: { token: '${DASHBOARD_TOKEN}' } },
        outboxes: [{ name: 'orders', store: { url: PG_URL, schema }, transport: { type: 'rabbitmq', url: AMQP_URL }, relay: { pollIntervalMs: 50 } }],
      }));
      // The bin itself rather than npx, so that SIGTERM reaches the daemon (as in a container).
      const daemon = spawn(join(project, 'node_modules', '.bin', 'txbox'), ['relay', '--config', 'txbox.config.json'], { cwd: project, env: { ...process.env, DASHBOARD_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      daemon.stderr.on('data', (d) => (log += d));
      const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
      try {
        await eventually(() => /listening on [^\s]*:\d+/.test(log), 60_000, 'the daemon to listen');
        const port = Number(/listening on [^\s]*:(\d+)/.exec(log)![1]);
        await eventually(() => received.length >= 20, 60_000, 'the backlog in RabbitMQ');
        assert.deepEqual(new Set(received), new Set(sent.ids));
        const asset = await fetch(`http://127.0.0.1:${port}/dashboard/assets/uPlot.iife.min.js`);
        assert.equal(asset.status, 200, 'uPlot is served from the installed @txbox/dashboard');
        const page = await fetch(`http://127.0.0.1:${port}/dashboard/`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(page.status, 200);
        assert.match(await page.text(), /orders/);
        daemon.kill('SIGTERM');
        assert.equal(await exited, 0, log);
      } finally {
        daemon.kill('SIGKILL');
      }
    } finally {
      await connection.close();
      await pool.end();
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkDelivery } from '../../src/testing/index.js';
import { eventually, uniqueName } from '../support/env.js';
import { openCrashStore, type CrashCase } from './stores.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL('./relay-child.ts', import.meta.url));

const KEYS = 20;
const PER_KEY = 60;

const cases: CrashCase[] = [
  { kind: 'postgres-lock', table: uniqueName('crash'), claimTimeoutMs: 2000 },
  { kind: 'postgres-lease', table: uniqueName('crash'), claimTimeoutMs: 2000 },
  { kind: 'sqlite', table: 'crash', file: join(dir, 'crash.db'), claimTimeoutMs: 2000 },
  { kind: 'mysql', table: uniqueName('crash'), claimTimeoutMs: 2000 },
  { kind: 'mysql-lock', table: uniqueName('crash'), claimTimeoutMs: 2000 },
];

const readSink = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
        const [key, seq] = line.split(' ');
        return { key: key!, seq: Number(seq) };
      })
    : [];

function startRelay(c: CrashCase, sink: string) {
  return spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(c), sink], { stdio: ['ignore', 'inherit', 'inherit'] });
}

describe('a relay killed with SIGKILL mid-batch', () => {
  for (const c of cases) {
    it(`loses nothing and keeps every key in order (${c.kind})`, async () => {
      const opened = await openCrashStore(c);
      await opened.store.migrate();
      const committed = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({ key: `k${i % KEYS}`, seq: Math.floor(i / KEYS) }));
      for (let i = 0; i < committed.length; i += 50) {
        await opened.write(committed.slice(i, i + 50).map((m) => ({ topic: 'crash', key: m.key, payload: m })));
      }
      const sink = join(dir, `${uniqueName(c.kind)}.log`);
      const first = startRelay(c, sink);
      const second = { proc: undefined as ReturnType<typeof startRelay> | undefined };
      try {
        await eventually(() => readSink(sink).length >= committed.length / 4, 30_000, 'the first relay to deliver a quarter');
        first.kill('SIGKILL');
        await new Promise((r) => first.once('exit', r));
        const killedAt = readSink(sink).length;
        assert.ok(killedAt < committed.length, 'killed before it finished');
        second.proc = startRelay(c, sink);
        await eventually(async () => (await opened.pending()) === 0, 60_000, 'the second relay to drain the outbox');
      } finally {
        first.kill('SIGKILL');
        second.proc?.kill('SIGTERM');
        if (second.proc && second.proc.exitCode === null) await new Promise((r) => second.proc!.once('exit', r));
        await opened.drop();
        await opened.close();
      }
      const result = checkDelivery(committed, readSink(sink));
      assert.deepEqual({ lost: result.lost, phantoms: result.phantoms, outOfOrder: result.outOfOrder }, { lost: 0, phantoms: 0, outOfOrder: 0 });
    });
  }
});

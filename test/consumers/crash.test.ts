import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/env.js';
import { openConsumerCase, type ConsumerCrashCase } from './crash-case.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-consumers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const TOTAL = 300;

describe('a consumer process killed with SIGKILL mid-handler', () => {
  const cases: ConsumerCrashCase[] = [
    { kind: 'postgres', suffix: `${process.pid}_${Math.random().toString(36).slice(2, 8)}` },
    { kind: 'sqlite', suffix: 'x', file: join(dir, 'consumers.db') },
  ];
  for (const c of cases) {
    it(`leaves its message to be retried, and every effect happens exactly once (${c.kind})`, async () => {
      const opened = await openConsumerCase(c);
      const names = Array.from({ length: TOTAL }, (_, i) => `job-${i}`);
      for (let i = 0; i < TOTAL; i += 50) await opened.publish(names.slice(i, i + 50));
      const start = () => spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(c)], { stdio: ['ignore', 'inherit', 'inherit'] });
      const first = start();
      let second: ReturnType<typeof start> | undefined;
      try {
        await eventually(async () => (await opened.effects()).length >= TOTAL / 5, 30_000, 'the first process to handle a fifth');
        first.kill('SIGKILL');
        await new Promise((r) => first.once('exit', r));
        assert.ok((await opened.effects()).length < TOTAL, 'killed before it finished');
        second = start();
        await eventually(async () => (await opened.effects()).length === TOTAL, 60_000, 'the second process to finish');
        // Give a duplicate handling, if any, time to show up before counting.
        await new Promise((r) => setTimeout(r, 300));
        const effects = await opened.effects();
        assert.deepEqual(effects.filter((e) => e.n !== 1), [], 'no effect twice');
        assert.deepEqual(new Set(effects.map((e) => e.name)), new Set(names), 'no effect missing');
      } finally {
        first.kill('SIGKILL');
        if (second && second.exitCode === null) {
          second.kill('SIGTERM');
          await new Promise((r) => second!.once('exit', r));
        }
        await opened.close();
      }
    });
  }
});

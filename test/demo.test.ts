import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const demo = fileURLToPath(new URL('../demo/main.ts', import.meta.url));

it('the demo delivers every order message on the embedded default store and reports it as JSON', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', demo, '--messages', '300', '--customers', '7', '--json'], { timeout: 60_000 });
  const summary = JSON.parse(stdout);
  assert.equal(summary.written, 300);
  assert.equal(summary.delivered, 300);
  assert.deepEqual([summary.lost, summary.outOfOrder, summary.phantoms], [0, 0, 0]);
  assert.ok(summary.messagesPerSecond > 0);
  assert.ok(summary.latencyMs.p99 >= summary.latencyMs.p50 && summary.latencyMs.p50 >= 0);
  assert.match(summary.database, /^SQLite /);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIMIT_MS = 90_000;

/** Runs `npm run bench -- --quick --json` as a child process, killed if it outlives the limit. */
function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--quick', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const isPositive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('benchmark script', () => {
  it('runs quick and prints one JSON object with every required figure', { timeout: LIMIT_MS + 10_000 }, async () => {
    const { code, stdout, stderr } = await runQuickBench();
    assert.equal(code, 0, `bench exited with ${code}\n${stderr.slice(-3000)}`);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'stdout holds exactly one line: the JSON report');
    const report = JSON.parse(lines[0]!);

    for (const key of ['write', 'drain', 'broker_rabbitmq', 'broker_nats']) {
      assert.ok(isPositive(report.ratios?.[key]), `ratios.${key} is a finite positive number (got ${report.ratios?.[key]})`);
    }
    for (const mode of ['raw_notify', 'txbox_watch', 'txbox_nudge', 'txbox_poll']) {
      const l = report.latency?.[mode];
      for (const field of ['p50_ms', 'p99_ms', 'max_ms']) {
        assert.ok(isPositive(l?.[field]), `latency.${mode}.${field} is a finite positive number (got ${l?.[field]})`);
      }
    }
    assert.ok(isPositive(report.write?.variants?.txbox_send?.tx_per_s), 'write.variants.txbox_send.tx_per_s');
    for (const stack of ['kysely', 'knex', 'drizzle', 'postgresjs', 'typeorm', 'mikro-orm', 'prisma']) {
      assert.ok(isPositive(report.ratios?.[`write_adapter_${stack}`]), `ratios.write_adapter_${stack} (send() through the adapter / the ORM's hand-written INSERT)`);
      assert.equal(typeof report.targets?.[`write_adapter_${stack}`]?.met, 'boolean', `targets.write_adapter_${stack} is judged`);
    }
    assert.ok(isPositive(report.drain?.variants?.raw_1?.msgs_per_s), 'drain.variants.raw_1.msgs_per_s');
    for (const peer of ['pg-boss', 'graphile-worker', 'pg-transactional-outbox']) {
      assert.ok(isPositive(report.peers?.peers?.[peer]?.write?.tx_per_s), `peers.${peer}.write.tx_per_s`);
    }
    assert.ok(report.scale?.points?.length >= 2 && report.scale.points.every((p: { txbox: { rss_peak_mb: unknown } }) => isPositive(p.txbox.rss_peak_mb)), 'scale points with RSS');
    for (const t of Object.values(report.targets ?? {}) as { met: unknown }[]) assert.ok(typeof t.met === 'boolean', 'every target is judged');
  });
});

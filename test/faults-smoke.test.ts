import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { failuresOf, MUST_BE_ZERO, type Report } from '../faults/report.js';

const main = fileURLToPath(new URL('../faults/main.ts', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;

const FIELDS = ['name', 'trials', 'lost', 'phantom', 'stuck', 'sink_duplicates', 'effect_duplicates', 'order_violations', 'early_deliveries', 'detect_ms', 'recover_ms', 'stall_ms', 'stall_bound_ms', 'checked_out', 'rss_growth_mb', 'loop_delay_ms'] as const;

/** Runs the fault harness's CI tier as a user would, and reads its JSON report from stdout. */
async function runSmoke(): Promise<{ code: number | null; report: unknown; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-faults-smoke-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--smoke', '--json', '--out', join(dir, 'report.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGINT'), TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    let report: unknown;
    try {
      report = JSON.parse(stdout);
    } catch {
      report = undefined;
    }
    return { code, report, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('the fault harness (smoke tier) loses, invents, holds, reorders and doubles nothing, and no key stalls another', { timeout: TIMEOUT_MS + 60_000 }, async () => {
  const { code, report, stderr } = await runSmoke();
  assert.ok(report !== undefined, `no JSON report on stdout (exit ${code}); stderr ends with:\n${stderr.slice(-3000)}`);
  const r = report as Report;
  assert.ok(Array.isArray(r.scenarios) && r.scenarios.length > 0, 'the report has no scenarios');
  for (const s of r.scenarios) {
    for (const field of FIELDS) assert.ok(field in s, `${s.name ?? '?'}: field ${field} is missing`);
    assert.equal(typeof s.name, 'string');
    for (const field of FIELDS.slice(1, 9)) assert.ok(Number.isInteger(s[field]) && (s[field] as number) >= 0, `${s.name}: ${field} is not a count`);
    for (const field of ['detect_ms', 'recover_ms', 'stall_bound_ms', 'loop_delay_ms'] as const) assert.ok(s[field] === null || (typeof s[field] === 'number' && s[field] >= 0), `${s.name}: ${field} is not a duration`);
    assert.ok(typeof s.stall_ms === 'number' && s.stall_ms >= 0, `${s.name}: stall_ms is not a duration`);
    assert.ok(s.checked_out === null || Number.isInteger(s.checked_out), `${s.name}: checked_out is not a count`);
    assert.ok(s.trials > 0, `${s.name}: no trial ran`);
  }
  const nonZero = r.scenarios.flatMap((s) => MUST_BE_ZERO.filter((f) => s[f] !== 0).map((f) => `${s.name}: ${f} = ${s[f]} (${s.notes.join('; ')})`));
  assert.deepEqual(nonZero, [], 'guarantees broken under faults');
  // Liveness: blocked heads (and every other row) within the stall bound; no relay leaks a connection.
  assert.ok(r.scenarios.some((s) => s.scenario === 'blocked heads'), 'the smoke tier has no blocked-heads row');
  assert.ok(r.scenarios.some((s) => s.scenario === 'debounce under zombie relays'), 'the smoke tier has no zombie-debounce row');
  const broken = r.scenarios.flatMap((s) => failuresOf([s]).map((f) => `${f} (${s.notes.join('; ')})`));
  assert.deepEqual(broken, [], 'liveness or resources broken under faults');
  assert.deepEqual(r.failures, [], 'scenarios failed');
  assert.equal(code, 0, `the harness exited with ${code}`);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIMIT_MS = 30_000;

/** Runs bench/main.ts with a bad command line: it must fail before touching any database. */
function runBench(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('benchmark command line', () => {
  for (const [what, args, message] of [
    ['an unknown flag', ['--nope'], "Unknown option '--nope'"],
    ['a bad number', ['--messages', 'many'], "--messages must be a positive integer, got 'many'"],
    ['an unknown workload', ['--only', 'nope'], "--only: unknown workload 'nope'"],
  ] as const) {
    it(`${what} prints what is wrong and the usage, no stack trace, and exits 2`, { timeout: LIMIT_MS + 5000 }, async () => {
      const { code, stdout, stderr } = await runBench(...args);
      assert.equal(code, 2, `exit code (stderr: ${stderr.slice(0, 2000)})`);
      assert.equal(stdout, '', 'nothing on stdout');
      assert.ok(stderr.startsWith(message), `stderr starts with the problem: ${stderr.slice(0, 300)}`);
      assert.match(stderr, /Usage: npm run bench -- \[options\]/);
      assert.doesNotMatch(stderr, /ERR_PARSE_ARGS|\n\s+at /, 'no error code or stack frames');
    });
  }
});
